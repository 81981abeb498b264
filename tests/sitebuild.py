"""Build the MkDocs site into a folder, the way CI and `nox -s docs` do: `mkdocs build --strict`.

Used by tests/test_site.py (session fixture `built_site`) and the browser tests, which serve the
result over HTTP. Import it as `from sitebuild import build_site` (tests/ is on sys.path under
pytest's default rootdir-relative import mode) and call `build_site(dest)` once per session:

    site = build_site(tmp_path_factory.mktemp("site"))   # -> Path of the built site
    index = json.loads((site / "search" / "search_index.json").read_text())

`build_site` raises `SiteBuildError` (with mkdocs' output) when the build fails or warns;
`run_build` returns the finished process for tests that want to look at the output themselves.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from runbook import catalog

REPO = catalog.repo_root()


class SiteBuildError(RuntimeError):
    """mkdocs build --strict failed or printed a WARNING; the message holds its output."""


def mkdocs_command() -> list[str]:
    """mkdocs from the running interpreter's environment (the venv that runs pytest)."""
    return [sys.executable, "-m", "mkdocs"]


def run_build(dest: Path) -> subprocess.CompletedProcess:
    """Run `mkdocs build --strict` from the checkout into dest; output captured as text."""
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    return subprocess.run(
        [*mkdocs_command(), "build", "--strict", "--config-file", str(REPO / "mkdocs.yml"),
         "--site-dir", str(dest)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )


def warnings(proc: subprocess.CompletedProcess) -> list[str]:
    """The WARNING lines mkdocs printed."""
    return [line for line in (proc.stdout + proc.stderr).splitlines() if "WARNING" in line]


def build_site(dest: Path) -> Path:
    """Build the site into dest and return dest; raise SiteBuildError on failure or warnings."""
    dest = Path(dest)
    proc = run_build(dest)
    if proc.returncode != 0 or warnings(proc):
        raise SiteBuildError(
            f"mkdocs build --strict exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
        )
    return dest
