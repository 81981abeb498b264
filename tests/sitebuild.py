"""Build the MkDocs site into a folder, the way CI and `nox -s docs` do: `mkdocs build --strict`.

The site is built once per session, by the conftest's `site_build` fixture, which the site and
browser tests share; most take the conftest's `site` (the folder; the test fails when the build
failed or warned), a test about the build itself takes site_build:

    def test_x(site_build):
        site, proc = site_build        # the built folder, mkdocs' finished process (output as text)
        assert not failure(proc)       # "" when it exited 0 without a WARNING, else its output
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from runbook.snippets import catalog

REPO = catalog.repo_root()


def mkdocs_command() -> list[str]:
    """mkdocs from the running interpreter's environment (the venv that runs pytest)."""
    return [sys.executable, "-m", "mkdocs"]


def run_build(dest: Path) -> subprocess.CompletedProcess:
    """Run `mkdocs build --strict` from the checkout into dest; output captured as text."""
    return run_build_with(REPO / "mkdocs.yml", dest)


def warnings(proc: subprocess.CompletedProcess) -> list[str]:
    """The WARNING lines mkdocs printed."""
    return [line for line in (proc.stdout + proc.stderr).splitlines() if "WARNING" in line]


def failure(proc: subprocess.CompletedProcess) -> str:
    """Why the build does not count (its exit status and output), or "" when it exited 0
    without a WARNING."""
    if proc.returncode == 0 and not warnings(proc):
        return ""
    return f"mkdocs build --strict exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"


def run_build_with(config_file: Path, dest: Path, env: dict | None = None,
                   strict: bool = True) -> subprocess.CompletedProcess:
    """Build another config (e.g. one that INHERITs the repository's mkdocs.yml and points at
    a scratch docs folder) into dest, from the checkout, with extra environment variables."""
    full_env = dict(os.environ, NO_MKDOCS_2_WARNING="1", **(env or {}))
    return subprocess.run(
        [*mkdocs_command(), "build", *(["--strict"] if strict else []),
         "--config-file", str(config_file), "--site-dir", str(dest)],
        cwd=REPO, env=full_env, capture_output=True, text=True, timeout=300,
    )
