"""Receipts: what a committed write changed, written before it commits, so that it can be undone.

A receipt is one JSON file in $XDG_STATE_HOME/id3c-runbook/receipts/ (~/.local/state/... by
default): the snippet's id and the sha256 of its file, the parameters, the server, database and
user (never a password: the runner never learns one from psql), the time, the rows changed per
table, and for every row the snippet changed its key, its before-image (deleted and updated
rows) and its after-image (updated and inserted rows, read inside the transaction). The folder is
700 and the files 600: they hold study identifiers.

The runner calls `write()` with the transaction still open and commits only when it returns;
`mark()` then records whether the commit happened. `runbook undo` reads a receipt back.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

FORMAT = "id3c-runbook receipt 1"
SUFFIX = ".json"


class ReceiptError(RuntimeError):
    """A receipt could not be written or read; the message names the file and why."""


def receipts_dir() -> Path:
    """$XDG_STATE_HOME/id3c-runbook/receipts (XDG's default state home: ~/.local/state)."""
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(state) / "id3c-runbook" / "receipts"


def _private_dir() -> Path:
    folder = receipts_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(folder.parent, 0o700)
        os.chmod(folder, 0o700)
    except OSError as exc:
        raise ReceiptError(f"cannot use the receipts folder {folder}: {exc.strerror or exc}") from None
    return folder


def _write_private(path: Path, data: dict, *, replace: bool) -> None:
    """Write JSON into a new 600 file (then rename over `path` when replacing)."""
    target = path.with_name(path.name + f".{secrets.token_hex(4)}.tmp") if replace else path
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle, indent=1, sort_keys=False)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(target, path)
    except OSError as exc:
        if replace:
            target.unlink(missing_ok=True)
        raise ReceiptError(f"cannot write the receipt {path}: {exc.strerror or exc}") from None


def file_sha256(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def build(outcome, params: dict[str, str], *, undoes: str | None = None,
          irreversible: str | None = None) -> dict:
    """The receipt of a run whose transaction is open (runner.Outcome after the capture)."""
    snippet = outcome.snippet
    server = dict(outcome.server)
    data = {
        "format": FORMAT,
        "status": "committing",
        "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "snippet": {"id": snippet.id, "file": str(snippet.path), "sha256": file_sha256(snippet.path)},
        "params": params,
        "server": {"host": server.get("host"), "port": server.get("port"),
                   "version": server.get("version")},
        "database": server.get("database"),
        "user": server.get("user"),
        "rows_changed": {c.table: {"inserted": c.inserted, "updated": c.updated, "deleted": c.deleted}
                         for c in outcome.changes},
        "total": outcome.total,
        "rows": outcome.captured or [],
    }
    if undoes:
        data["undoes"] = undoes
    if irreversible:
        data["irreversible"] = irreversible
    return data


def write(data: dict) -> Path:
    """A new receipt file (600) in the receipts folder (700). Raises ReceiptError."""
    folder = _private_dir()
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
    path = folder / f"{stamp}-{data['snippet']['id']}{SUFFIX}"
    _write_private(path, data, replace=False)
    return path


def mark(path: Path, data: dict, status: str, output: str = "") -> None:
    """Record the commit's outcome (`committed`, `rolled back`) and the snippet's output."""
    data["status"] = status
    if output:
        data["output"] = output
    _write_private(path, data, replace=True)


def resolve(name: str) -> Path:
    """A receipt by path, or by file name (with or without .json) in the receipts folder."""
    given = Path(name).expanduser()
    for candidate in (given, receipts_dir() / name, receipts_dir() / (name + SUFFIX)):
        if candidate.is_file():
            return candidate
    raise ReceiptError(f"no receipt {name!r} (neither a file nor in {receipts_dir()}); `runbook receipts` lists them")


def load(path: Path) -> dict:
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise ReceiptError(f"cannot read the receipt {path}: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ReceiptError(f"{path} is not a runbook receipt ({FORMAT})")
    return data


@dataclass(frozen=True)
class Entry:
    path: Path
    time: str
    snippet: str
    total: int
    database: str
    status: str


def listing() -> list[Entry]:
    """Every receipt, newest first (file names start with the UTC time)."""
    folder = receipts_dir()
    if not folder.is_dir():
        return []
    entries = []
    for path in sorted(folder.glob("*" + SUFFIX), reverse=True):
        try:
            data = load(path)
        except ReceiptError:
            continue
        entries.append(Entry(path, data["time"], data["snippet"]["id"], data.get("total", 0),
                             data.get("database") or "?", data.get("status", "?")))
    return entries
