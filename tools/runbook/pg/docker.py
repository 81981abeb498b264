"""The ``docker`` provider: a postgres container started by testcontainers (image
RUNBOOK_PG_IMAGE, default ``postgres:15``).

Choosing Docker means more than an engine that answers a ping (2 s timeout, so a dead socket
falls through fast): the image must be on the engine or be pulled within
RUNBOOK_PG_PULL_TIMEOUT seconds (default 60), and testcontainers' reaper must work or not be
needed. `docker_usable()` checks all three and says in one line why not; the providers module
then falls through to the next provider. Where the reaper image cannot be had, the run goes on
without it: our own containers carry the run's pid, start time and host as labels, and the
next run removes those whose run is gone (`sweep_containers()`), as the local providers sweep
their directories.

The container initialises with ``--no-locale`` (POSTGRES_INITDB_ARGS) like our own servers,
keeps its data on a tmpfs, and gets a random password. Works with testcontainers 4.9 to 4.15+:
4.15 added `with_tmpfs_mount()` and passes ``tmpfs=`` to the engine itself, so giving it again
through `with_kwargs()` is what broke there.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

from runbook.pg.base import (
    _RUNNING,
    SERVER_SETTINGS,
    SUPERUSER,
    Server,
    ServerStartError,
    process_started,
    run_alive,
)

DEFAULT_IMAGE = "postgres:15"
DOCKER_PGDATA = "/var/lib/postgresql/runbook/data"
DEFAULT_PULL_TIMEOUT = 60.0
LABEL = "org.id3c-runbook"
LABEL_PID, LABEL_STARTED, LABEL_HOST = (f"{LABEL}.pid", f"{LABEL}.started", f"{LABEL}.host")
# The same initdb choices as our local servers (initdb --encoding=UTF8 --no-locale).
INITDB_ARGS = "--encoding=UTF8 --no-locale"


def image_name() -> str:
    return os.environ.get("RUNBOOK_PG_IMAGE") or DEFAULT_IMAGE


def pull_timeout() -> float:
    value = os.environ.get("RUNBOOK_PG_PULL_TIMEOUT", "").strip()
    try:
        return float(value) if value else DEFAULT_PULL_TIMEOUT
    except ValueError:
        raise ServerStartError(f"RUNBOOK_PG_PULL_TIMEOUT={value}: expected seconds") from None


SKIP_DOCKER = "skip Docker with RUNBOOK_PG_PROVIDER=embedded"


def way_out(image: str) -> str:
    return (f"pull it (docker pull {image}), set RUNBOOK_PG_IMAGE to an image the engine has, "
            f"or {SKIP_DOCKER}")


def _first_line(exc: BaseException) -> str:
    explanation = getattr(exc, "explanation", None)  # docker's APIError: the engine's own words
    text = str(explanation or exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:240] if text else ''}".rstrip(": ")


def _client(timeout: float):
    import docker

    return docker.from_env(timeout=timeout)


def _within(seconds: float, work) -> tuple[bool, str]:
    """Run work() -> (ok, why) in a thread; (False, 'no answer within N s') when it takes longer.

    A Docker call can hang on a socket that accepts and never answers, or on a pull behind a
    proxy; the thread is a daemon and is left to finish on its own."""
    result: list = [False, f"no answer within {seconds:g} s"]

    def run():
        try:
            result[:] = list(work())
        except Exception as exc:  # DockerException, requests errors, socket timeouts
            result[:] = [False, _first_line(exc)]

    thread = threading.Thread(target=run, daemon=True, name="runbook-docker-probe")
    thread.start()
    thread.join(seconds + 0.5)
    return result[0], result[1]


def docker_reachable(timeout: float = 2.0) -> tuple[bool, str]:
    """Ping the Docker engine with a short timeout; (False, why) when it is missing or hung."""
    try:
        import docker  # noqa: F401
    except ImportError:
        return False, "the docker package is not installed"

    def ping():
        client = _client(timeout)
        try:
            client.ping()
            return True, "ping ok"
        finally:
            client.close()

    return _within(timeout, ping)


def ensure_image(image: str, timeout: float) -> tuple[bool, str]:
    """(True, how) when `image` is on the engine or was pulled within `timeout` seconds."""
    import docker
    from docker.utils import parse_repository_tag

    def have_or_pull():
        client = _client(max(timeout, 5.0))
        try:
            try:
                client.images.get(image)
                return True, "present"
            except docker.errors.ImageNotFound:
                pass
            repository, tag = parse_repository_tag(image)
            for event in client.api.pull(repository, tag=tag or "latest", stream=True, decode=True):
                if "error" in event:  # a pull that fails midway reports in the stream
                    return False, f"pull failed: {str(event['error']).splitlines()[0][:240]}"
            client.images.get(image)
            return True, "pulled"
        finally:
            client.close()

    ok, why = _within(timeout, have_or_pull)
    if not ok and why.startswith("no answer"):
        why = f"not pulled within {timeout:g} s (RUNBOOK_PG_PULL_TIMEOUT)"
    return ok, why


def reaper_image() -> str | None:
    """testcontainers' reaper image, or None when the reaper is disabled."""
    from testcontainers.core.config import testcontainers_config as config

    return None if config.ryuk_disabled else config.ryuk_image


def go_without_reaper() -> None:
    from testcontainers.core.config import testcontainers_config as config

    config.ryuk_disabled = True


def docker_usable(image: str, notes: list[str]) -> tuple[bool, str, bool]:
    """(usable, why, engine answered): whether a container of `image` can start here now;
    notes gets a line when the run goes on without testcontainers' reaper."""
    ok, why = docker_reachable()
    if not ok:
        return False, f"Docker engine not reachable ({why})", False
    try:
        import testcontainers.core.config  # noqa: F401
    except ImportError:
        return False, "the testcontainers package is not installed", True
    timeout = pull_timeout()
    ok, why = ensure_image(image, timeout)
    if not ok:
        return False, f"the Docker engine has no image {image} and could not pull it ({why})", True
    reaper = reaper_image()
    if reaper is not None:
        ok, why = ensure_image(reaper, min(timeout, 20.0))
        if not ok:
            go_without_reaper()
            notes.append(f"docker: running without testcontainers' reaper ({reaper}: {why}); "
                         "containers of killed runs are removed by the next run")
    return True, why, True


def run_labels() -> dict[str, str]:
    """Who owns a container: this process (pid and start time) on this host."""
    labels = {LABEL_PID: str(os.getpid()), LABEL_HOST: socket.gethostname()}
    started = process_started(os.getpid())
    if started:
        labels[LABEL_STARTED] = started
    return labels


def sweep_containers(client=None) -> list[str]:
    """Remove the containers of runs on this host that are gone (killed with SIGKILL, so no
    atexit and, without the reaper, nobody else to do it); returns their short ids."""
    own = client is None
    client = client or _client(10)
    removed = []
    try:
        host = socket.gethostname()
        for container in client.containers.list(all=True, filters={"label": f"{LABEL_HOST}={host}"}):
            labels = container.labels or {}
            try:
                pid = int(labels.get(LABEL_PID, ""))
            except ValueError:
                continue
            if run_alive(pid, labels.get(LABEL_STARTED)):
                continue
            container.remove(force=True, v=True)
            removed.append(container.short_id)
    finally:
        if own:
            client.close()
    return removed


def _postgres_container_class():
    try:  # testcontainers >= 4.15
        from testcontainers.community.postgres import PostgresContainer
    except ImportError:  # 4.9 to 4.14
        from testcontainers.postgres import PostgresContainer
    return PostgresContainer


def build_container(image: str, password: str, loopback_port: int | None = None):
    """The testcontainers container, configured and not started.

    loopback_port: publish on 127.0.0.1 only (0 for a free port), for the playground; None
    publishes where testcontainers connects from (all interfaces, or the bridge gateway)."""
    container_class = _postgres_container_class()
    for name in ("testcontainers.core.container", "testcontainers.core.waiting_utils"):
        logging.getLogger(name).setLevel(logging.WARNING)  # 4.9 logs each wait to stderr
    container = container_class(
        image, username=SUPERUSER, password=password, dbname="postgres", driver=None
    )
    container.with_env("PGDATA", DOCKER_PGDATA)
    container.with_env("POSTGRES_INITDB_ARGS", INITDB_ARGS)
    container.with_command(
        "postgres " + " ".join(f"-c {k}={v}" for k, v in SERVER_SETTINGS.items())
    )
    kwargs: dict = {"labels": run_labels()}
    tmpfs = str(Path(DOCKER_PGDATA).parent)  # the data on a tmpfs, whatever the image's PGDATA
    if hasattr(container, "with_tmpfs_mount"):  # 4.15+: passes tmpfs= to the engine itself
        container.with_tmpfs_mount(tmpfs)
    else:
        kwargs["tmpfs"] = {tmpfs: "rw"}
    container.with_kwargs(**kwargs)  # replaces earlier kwargs: everything in one call
    if loopback_port is not None:
        key = next((k for k in container.ports if str(k).split("/")[0] == "5432"), 5432)
        container.ports[key] = ("127.0.0.1", loopback_port or None)
    return container


class DockerServer(Server):
    """A postgres container started by testcontainers."""

    provider = "docker"

    def __init__(self, image: str, loopback_port: int | None = None):
        super().__init__()
        self.image = image
        self.loopback_port = loopback_port
        self.password = secrets.token_urlsafe(18)
        self.container = None
        self.host = self.port = None

    def start(self) -> DockerServer:
        try:
            removed = sweep_containers()
        except Exception as exc:
            raise ServerStartError(f"docker: could not list containers: {_first_line(exc)}") from exc
        if removed:
            self.notes.append(f"docker: removed {len(removed)} container(s) of runs that are "
                              f"gone: {', '.join(removed)}")
        self.container = build_container(self.image, self.password, self.loopback_port)
        _RUNNING.add(self)
        began = time.perf_counter()
        try:
            self._start_watching_the_engine()
            if self.loopback_port is not None:
                self.host = "127.0.0.1"
            else:
                self.host = self.container.get_container_host_ip()
            self.port = int(self.container.get_exposed_port(5432))
            self.timings["container start to ready"] = time.perf_counter() - began
            short_id = self.container.get_wrapped_container().short_id
            self.datadir = f"container {short_id}:{DOCKER_PGDATA} (tmpfs)"
            self._fetch_version()
        except Exception as exc:
            raise ServerStartError(
                f"docker: could not start {self.image}: {_first_line(exc)}"
            ) from exc
        return self

    def _start_watching_the_engine(self, every: float = 1.0) -> None:
        """container.start(), failing as soon as the engine stops answering: testcontainers
        would go on retrying its readiness check for two minutes."""
        done = threading.Event()
        failed: list[BaseException] = []

        def start():
            try:
                self.container.start()
            except BaseException as exc:
                failed.append(exc)
            finally:
                done.set()

        threading.Thread(target=start, daemon=True, name="runbook-docker-start").start()
        while not done.wait(every):
            ok, why = docker_reachable()
            if not ok and not done.is_set():
                raise ServerStartError(f"the Docker engine stopped answering ({why})")
        if failed:
            raise failed[0]

    def url(self, dbname: str | None = None) -> str:
        return (f"postgresql://{SUPERUSER}:{quote(self.password, safe='')}@{self.host}:{self.port}"
                f"/{quote(dbname or self.admin_db)}")

    def describe(self) -> str:
        return (f"provider docker ({self.image}), PostgreSQL {self.version}, "
                f"collation {self.collation()}, datadir {self.datadir}")

    def alive(self) -> bool:
        if self._stopped or self.container is None:
            return False
        try:
            wrapped = self.container.get_wrapped_container()
            wrapped.reload()
            return wrapped.status == "running"
        except Exception:
            return False

    def _shutdown(self) -> None:
        if self.container is None or getattr(self.container, "_container", None) is None:
            return
        try:
            self.container.stop()
        except Exception as exc:
            print(f"runbook: could not remove container ({_first_line(exc)}); the next run "
                  "removes it", file=sys.stderr)
