"""What every throwaway server has, whichever provider gave it: the `Server` base class (URLs,
the shared admin connection, background drops, `describe()` for the session header), the errors
the providers raise, and the registry that stops every running server at exit or on
SIGTERM/SIGHUP.
"""

from __future__ import annotations

import atexit
import os
import secrets
import signal
import sys
import threading
from pathlib import Path

FIXTURE_ROLES = ("reporter", "metabase")
SUPERUSER = "postgres"
# Every database the runbook creates sorts text bytewise, whichever server it is on: the official
# postgres image initialises with en_US.utf8 (which ignores hyphens when sorting), our own
# servers with --no-locale, an existing server with whatever it has. Production's is unknown.
DATABASE_COLLATION = "C"

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


class NoProviderError(RuntimeError):
    """No way to get a PostgreSQL server; the message says how to get one."""


class ServerStartError(RuntimeError):
    """A provider was chosen but its server did not start."""


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


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
        # One line each on what the provider choice skipped and why, for the session header.
        self.notes: list[str] = []
        self.default_collation = "?"

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
        rows = self.admin_execute("select datcollate from pg_database where datname = 'template0'")
        self.default_collation = rows[0][0] if rows else "?"

    def collation(self) -> str:
        """The collation of the databases this run creates, and the server's when it differs."""
        if self.default_collation in (DATABASE_COLLATION, "POSIX", "?"):
            return DATABASE_COLLATION
        return f"{DATABASE_COLLATION} (server default {self.default_collation})"

    def alive(self) -> bool:
        """Whether the server still runs (an existing server is assumed to)."""
        return not self._stopped

    def drop_sql(self, name: str) -> str:
        force = " with (force)" if getattr(self, "server_version_num", 0) >= 130000 else ""
        return f"drop database if exists {quote_ident(name)}{force}"

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
        return (f"provider {self.provider}, PostgreSQL {self.version}, "
                f"collation {self.collation()}{where}")

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



def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _proc_stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state first); None without /proc."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()
    except OSError:
        return None


def process_started(pid: int) -> str | None:
    """When process `pid` started (clock ticks since boot, from /proc), so that a reused pid is
    not taken for the run that labelled a container; None where /proc is not there."""
    fields = _proc_stat(pid)
    return fields[19] if fields else None


def run_alive(pid: int, started: str | None) -> bool:
    """Whether the run with this pid (and start time, when known) still runs: a killed run whose
    parent has not reaped it yet (a zombie) is gone too."""
    if not pid_alive(pid):
        return False
    fields = _proc_stat(pid)
    if fields is None:
        return True
    if fields[0] in ("Z", "X"):
        return False
    return started is None or fields[19] == started


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
