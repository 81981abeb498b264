"""Run a shell snippet the way an operator would, with stand-ins first on PATH.

The stand-ins (tests/sh_stubs/bin) record every call as one shell-quoted argv line in a log
and print recorded real-looking output (tests/sh_stubs/outputs). `run_snippet` returns the exit
status, stdout, stderr and the recorded calls. With `paste=True` the file's text is fed to an
interactive bash on stdin, as if pasted into a terminal; with `isolated=True` PATH holds the
stand-ins only, so any other external command fails with "command not found".
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from runbook.snippets import catalog

ROOT = catalog.repo_root()
STUBS = Path(__file__).resolve().parent / "sh_stubs"
STUB_BIN = STUBS / "bin"
OUTPUTS = STUBS / "outputs"
BASH = shutil.which("bash") or "/bin/bash"
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    calls: list[list[str]] = field(default_factory=list)

    def commands(self) -> list[str]:
        """The command names called, in log order (`pipenv-env` style lines included)."""
        return [call[0] for call in self.calls]

    def called(self, *argv: str) -> bool:
        return list(argv) in self.calls

    def lines(self, prefix: str) -> list[str]:
        return [line for line in self.stdout.splitlines() if line.startswith(prefix)]


def snippet_path(relpath: str) -> Path:
    return ROOT / relpath


def run_snippet(
    relpath: str,
    tmp_path: Path,
    env: dict[str, str] | None = None,
    *,
    args: tuple[str, ...] = (),
    paste: bool = False,
    isolated: bool = False,
    path_before: tuple[str, ...] = (),
    after_paste: str = "",
    timeout: float = 60,
) -> Run:
    log = tmp_path / "stub.log"
    log.touch()
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    path = [*path_before, str(STUB_BIN)] + ([] if isolated else [SYSTEM_PATH])
    full_env = {
        "PATH": ":".join(path),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "TMPDIR": str(tmp_path),
        "STUB_LOG": str(log),
        "STUB_OUTPUTS": str(OUTPUTS),
        "TERM": "dumb",
    }
    full_env.update(env or {})
    path_obj = snippet_path(relpath)
    if paste:
        # An interactive shell reading the text from stdin: history expansion, tab completion
        # and `exit` behave as they do for an operator pasting into a terminal.
        proc = subprocess.run(
            [BASH, "--norc", "--noprofile", "-i"],
            input=path_obj.read_text() + after_paste,
            capture_output=True,
            text=True,
            env=full_env,
            cwd=tmp_path,
            timeout=timeout,
        )
    else:
        proc = subprocess.run(
            [BASH, str(path_obj), *args],
            capture_output=True,
            text=True,
            env=full_env,
            cwd=tmp_path,
            timeout=timeout,
        )
    calls = [shlex.split(line) for line in log.read_text().splitlines() if line.strip()]
    return Run(proc.returncode, proc.stdout, proc.stderr, calls)
