"""The ``docker`` provider: a postgres container started by testcontainers (image
RUNBOOK_PG_IMAGE, default ``postgres:15``). The engine is probed with a 2 s timeout so a dead
socket falls through fast.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from urllib.parse import quote

from runbook.pg.base import _RUNNING, SERVER_SETTINGS, SUPERUSER, Server, ServerStartError

DEFAULT_IMAGE = "postgres:15"
DOCKER_PGDATA = "/var/lib/postgresql/runbook/data"


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
