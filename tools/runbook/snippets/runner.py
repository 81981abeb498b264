"""Run a snippet with psql exactly as an operator would, inside one transaction that is kept
only when asked, and hand over what a committed write changed so that it can be undone.

The runner feeds psql a script on its standard input (nothing secret on the command line, see
runbook.snippets.client):

    \\set name 'value' ...         -- the parameters; the snippet reads them as :'name'
    set runbook.dry_run = on;      -- off with --commit; snippets with side effects read it
    begin;                         -- `begin read only;` for a read snippet; a write snippet
                                   -- opens the transaction itself with its first line, begin;
    \\i '<the snippet file>'
    -- a write snippet, still inside its transaction:
    \\o <private file>             -- the capture: rows changed per table (pg_stat_xact_user_tables),
    select json ...;               -- the before-images the snippet put in pg_temp.runbook_undo,
    \\o                            -- the current (after) image of each updated or inserted row
    \\warn @@runbook:captured
    rollback;  or, with --commit, whatever the runner decides once it has read the capture

With --commit the runner stops there, with the transaction open: it reads the capture, refuses
(rolls back) when the rows changed per table differ from the before-images captured per table or
from --expect, calls `before_commit` (the CLI writes the receipt there; if that raises, it rolls
back), and only then sends `commit;`. Any error stops psql; the server rolls the open transaction
back. Counting caveat: pg_stat_xact_user_tables counts every row a statement touched, including
rows of a rolled-back subtransaction, and nothing in the system catalogs (a GRANT counts 0). The
snippets therefore use no savepoints or exception handlers.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from runbook.snippets.catalog import Snippet
from runbook.snippets.client import (
    FIELD_SEP,
    NULL,
    RECORD_SEP,
    ConnectionFailed,
    connection_env,
    psql_argv,
    psql_set_line,
)
from runbook.snippets.statements import split

MARK = "@@runbook"
EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_EXPECT = 0, 1, 2, 3

# The capture table every write snippet creates and fills with the before-images (the convention,
# docs/using-snippets.md); check and undo make it themselves from this text.
UNDO_TABLE = """\
create temporary table if not exists runbook_undo (
    seq bigint generated always as identity,
    relation text not null,
    op text not null check (op in ('delete', 'update', 'insert')),
    before jsonb,
    key jsonb not null
)"""

# The current row behind a captured key, read inside the snippet's transaction: the after-image
# an undo compares with. The key columns are matched with their own types (indexes apply). The
# exact text of json columns rides along under "runbook_json_text" (see runbook.snippets.undo).
ROW_FUNCTION = """\
create or replace function pg_temp.runbook_row(relation regclass, key jsonb) returns jsonb
language plpgsql as $runbook$
declare
    found jsonb;
    condition text;
    texts text;
begin
    select string_agg(format('t.%I is not distinct from k.%I', name, name), ' and ')
      into condition
      from jsonb_object_keys(key) as name;
    -- json (not jsonb) columns keep the exact text received; to_jsonb would normalise it
    select string_agg(format('%L, t.%I::text', attname, attname), ', ')
      into texts
      from pg_attribute
     where attrelid = relation and attnum > 0 and not attisdropped and atttypid = 'json'::regtype;
    execute format('select to_jsonb(t)%s from %s as t, jsonb_populate_record(null::%s, $1) as k where %s',
                   case when texts is null then ''
                        else format(' || jsonb_build_object(%L, jsonb_build_object(%s))', 'runbook_json_text', texts)
                   end,
                   relation, relation, condition)
       into found using key;
    return found;
end
$runbook$;"""

CAPTURE_ROWS = """\
select coalesce(json_agg(json_build_object(
           'seq', seq, 'relation', relation, 'op', op, 'key', key, 'before', before,
           'after', case when op <> 'delete' then pg_temp.runbook_row(relation::regclass, key) end)
         order by seq), '[]') as runbook_rows
  from pg_temp.runbook_undo \\gset"""

CAPTURE = """\
select json_build_object(
    'server', json_build_object('host', :'HOST', 'port', :'PORT', 'database', :'DBNAME',
                                'user', :'USER', 'version', current_setting('server_version')),
    'changes', (select coalesce(json_agg(json_build_array(s.schemaname || '.' || s.relname,
                                         s.n_tup_ins, s.n_tup_upd, s.n_tup_del) order by 1), '[]')
                  from pg_stat_xact_user_tables as s
                  join pg_class on pg_class.oid = s.relid
                 where pg_class.relpersistence <> 't'  -- not runbook_undo nor other temp tables
                   and s.n_tup_ins + s.n_tup_upd + s.n_tup_del > 0),
    'rows', :'runbook_rows'::json);"""


@dataclass(frozen=True)
class Change:
    table: str
    inserted: int
    updated: int
    deleted: int

    @property
    def total(self) -> int:
        return self.inserted + self.updated + self.deleted


@dataclass
class Outcome:
    """What a run did. exit_code: 0 ok, 1 psql failed or the runner refused (stderr, .refusal
    say why), 3 --expect mismatch."""

    snippet: Snippet
    exit_code: int
    output: str  # the snippet's own output (psql's stdout without the runner's markers)
    stderr: str
    changes: list[Change] = field(default_factory=list)
    committed: bool = False
    finished: bool = False  # the script reached its end (no error)
    expect: int | None = None
    unaligned: bool = False
    captured: list[dict] | None = None  # pg_temp.runbook_undo rows (+ after-images); None: no table
    server: dict = field(default_factory=dict)
    refusal: str = ""  # why the runner rolled back a --commit run (not psql's error)

    @property
    def total(self) -> int:
        return sum(c.total for c in self.changes)

    @property
    def expect_mismatch(self) -> bool:
        return self.finished and self.expect is not None and self.total != self.expect

    def uncaptured(self) -> dict[str, tuple[int, int]]:
        """{table: (rows changed, before-images captured)} where the two differ."""
        changed = {c.table: c.total for c in self.changes}
        captured = Counter(row["relation"] for row in self.captured or [])
        return {t: (changed.get(t, 0), captured.get(t, 0))
                for t in sorted(set(changed) | set(captured)) if changed.get(t, 0) != captured.get(t, 0)}

    def tables(self) -> list[list[dict]]:
        """Result sets of an unaligned run, as lists of {column: value} (None for NULL)."""
        if not self.unaligned:
            raise ValueError("tables() needs a run with unaligned=True")
        return parse_unaligned(self.output)

    def rows(self, index: int = -1) -> list[dict]:
        """A result set of the snippet's own (-1: its last), not counting the before-images
        listing a write snippet ends with (see before_images)."""
        tables = self.tables()
        if tables and self._lists_before_images(tables[-1]):
            tables = tables[:-1]
        return tables[index] if tables else []

    def before_images(self) -> list[dict]:
        """The last result set of a write snippet: `relation, op, before` per captured row."""
        tables = self.tables()
        return tables[-1] if tables and self._lists_before_images(tables[-1]) else []

    def _lists_before_images(self, table: list[dict]) -> bool:
        if self.snippet.effect != "write" or self.captured is None:
            return False
        return len(table) == len(self.captured) and all(
            list(row) == ["relation", "op", "before"] for row in table)


def opens_transaction(snippet: Snippet) -> bool:
    """A write snippet starts with its own `begin;`, so that a paste commits nothing by itself."""
    statements = split(snippet.text)
    return bool(statements) and statements[0].keyword in ("begin", "start")


def _quoted_path(path) -> str:
    """A file name as a psql meta-command argument: in quotes, backslashes and quotes escaped."""
    return "'" + str(path).replace("\\", "\\\\").replace("'", "\\'") + "'"


def build_script(snippet: Snippet, params: dict[str, str], *, commit: bool, unaligned: bool,
                 capture_path: str | None = None) -> str:
    """The script up to the point where the runner decides (a write snippet under --commit),
    or to its end (a rollback) otherwise."""
    write = snippet.effect == "write"
    lines = ["\\set ON_ERROR_STOP on", "\\set QUIET on"]
    lines += [psql_set_line(name, value) for name, value in params.items()]
    # Session-wide, so it holds whether the runner or the snippet's own begin; opens the
    # transaction; snippets with side effects outside the transaction read it.
    lines.append(f"set runbook.dry_run = {'off' if commit and write else 'on'};")
    if not (write and opens_transaction(snippet)):
        lines.append("begin;" if write else "begin read only;")
    if not unaligned:
        lines.append("\\set QUIET off")
    lines += ["\\i " + _quoted_path(snippet.path), "\\set QUIET on", f"\\echo {MARK}:finished"]
    if not write:
        return "\n".join(lines + ["rollback;"]) + "\n"
    lines += [
        "\\pset format unaligned",
        "\\pset tuples_only on",
        ROW_FUNCTION,
        "select to_regclass('pg_temp.runbook_undo') is not null as runbook_has_undo \\gset",
        "\\if :runbook_has_undo",
        CAPTURE_ROWS,
        "\\else",
        "\\set runbook_rows null",
        "\\endif",
        "\\o " + _quoted_path(capture_path),
        CAPTURE,
        "\\o",
        f"\\warn {MARK}:captured",
    ]
    if not commit:
        lines.append("rollback;")
    return "\n".join(lines) + "\n"


COMMIT = f"commit;\n\\echo {MARK}:committed\n"
ROLLBACK = "rollback;\n"


class _Session:
    """A running psql whose stdout and stderr are drained by threads, so that the runner can wait
    for the capture marker (on stderr, which psql does not buffer) with the transaction open."""

    def __init__(self, argv, env, script, timeout):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=env)
        self.timeout = timeout
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self.events: queue.Queue = queue.Queue()
        self._threads = [threading.Thread(target=self._drain_out, daemon=True),
                         threading.Thread(target=self._drain_err, daemon=True)]
        for thread in self._threads:
            thread.start()
        self.send(script)

    def _drain_out(self):
        self.stdout.append(self.proc.stdout.read())

    def _drain_err(self):
        for line in self.proc.stderr:
            if line.rstrip("\n") == f"{MARK}:captured":
                self.events.put("captured")
            else:
                self.stderr.append(line)
        self.events.put("eof")

    def send(self, text: str):
        try:
            self.proc.stdin.write(text)
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass  # psql stopped (an error); its stderr says why

    def wait_captured(self) -> bool:
        try:
            return self.events.get(timeout=self.timeout) == "captured"
        except queue.Empty:
            self.proc.kill()
            raise subprocess.TimeoutExpired(self.proc.args, self.timeout) from None

    def finish(self, text: str = "") -> tuple[int, str, str]:
        if text:
            self.send(text)
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        try:
            code = self.proc.wait(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        for thread in self._threads:
            thread.join()
        return code, "".join(self.stdout), "".join(self.stderr)


def run_snippet(
    snippet: Snippet,
    params: dict[str, str],
    *,
    dsn: str | None = None,
    commit: bool = False,
    expect: int | None = None,
    unaligned: bool = False,
    timeout: float | None = None,
    before_commit: Callable[[Outcome], None] | None = None,
) -> Outcome:
    """Run a snippet whose params were already checked (snippet.bind).

    Raises PsqlNotFound, ConnectionFailed, and whatever before_commit raises (after rolling
    back: then nothing is committed).
    """
    if snippet.kind != "sql":
        raise ValueError(f"{snippet.id} is not an SQL snippet")
    write = snippet.effect == "write"
    folder = tempfile.mkdtemp(prefix="runbook-run-")  # 700: the capture holds study data
    capture_path = os.path.join(folder, "capture.json")
    outcome = Outcome(snippet=snippet, exit_code=EXIT_OK, output="", stderr="", expect=expect,
                      unaligned=unaligned)
    try:
        script = build_script(snippet, params, commit=commit, unaligned=unaligned,
                              capture_path=capture_path)
        with connection_env(dsn, f"runbook {snippet.id}") as env:
            session = _Session(psql_argv(unaligned=unaligned), env, script, timeout)
            final = ""
            try:
                if write and commit and session.wait_captured():
                    _read_capture(outcome, capture_path)
                    outcome.finished = True
                    final = _decide(outcome, before_commit)
            except BaseException:
                session.finish(ROLLBACK)
                raise
            code, stdout, stderr = session.finish(final)
        if write and not commit and os.path.exists(capture_path):
            _read_capture(outcome, capture_path)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return _conclude(outcome, code, stdout, stderr)


def _read_capture(outcome: Outcome, path: str) -> None:
    with open(path) as handle:
        data = json.load(handle)
    outcome.changes = [Change(*row) for row in data["changes"]]
    outcome.captured = data["rows"]
    outcome.server = data["server"]


def _decide(outcome: Outcome, before_commit) -> str:
    """commit or rollback, once the capture is read and the transaction is still open."""
    if outcome.expect_mismatch:
        return ROLLBACK
    gaps = outcome.uncaptured()
    if gaps:
        outcome.refusal = "the snippet changed rows it did not capture for undo, so no receipt " \
            "could put them back: " + "; ".join(
                f"{table}: {changed} changed, {captured} captured" for table, (changed, captured) in gaps.items())
        return ROLLBACK
    if before_commit is not None:
        before_commit(outcome)  # raises: the caller rolls back
    return COMMIT


def _conclude(outcome: Outcome, code: int, stdout: str, stderr: str) -> Outcome:
    kept, finished, committed = [], False, False
    for line in stdout.split("\n"):
        if line == f"{MARK}:finished":
            finished = True
        elif line == f"{MARK}:committed":
            committed = True
        elif not finished:
            kept.append(line)
    outcome.output = "\n".join(kept).rstrip("\n")
    outcome.stderr = stderr
    outcome.committed = committed and code == 0
    outcome.finished = finished and code == 0
    if not finished and code == 2 and stderr.startswith("psql: error:") and not outcome.output:
        raise ConnectionFailed(stderr.strip().removeprefix("psql: error: "))
    if code != 0 or not finished or outcome.refusal:
        outcome.exit_code = EXIT_ERROR
        outcome.committed = False
    elif outcome.expect_mismatch:
        outcome.exit_code = EXIT_EXPECT
    return outcome


_FOOTER = re.compile(RECORD_SEP + r"\((\d+) rows?\)\n?")


def parse_unaligned(text: str) -> list[list[dict]]:
    """Result sets from psql -q -A -F US -R RS output (header, rows, "(n rows)"), in order."""
    tables: list[list[dict]] = []
    pieces = _FOOTER.split(text)
    # split() alternates: block, row count, block, row count, ..., trailing text
    for block, count in zip(pieces[0::2], pieces[1::2]):
        records = block.lstrip("\n").split(RECORD_SEP)
        header = records[0].split(FIELD_SEP)
        rows = [dict(zip(header, [None if v == NULL else v for v in record.split(FIELD_SEP)]))
                for record in records[1:]]
        assert len(rows) == int(count), f"parsed {len(rows)} rows, psql said {count}"
        tables.append(rows)
    return tables


def format_changes(outcome: Outcome) -> str:
    """The per-table counts and the total, as the operator sees them."""
    if not outcome.changes:
        return "Rows changed inside the transaction: none."
    width = max(len("table"), *(len(c.table) for c in outcome.changes))
    lines = ["Rows changed inside the transaction:",
             f"  {'table':<{width}}  inserted  updated  deleted"]
    for c in outcome.changes:
        lines.append(f"  {c.table:<{width}}  {c.inserted:>8}  {c.updated:>7}  {c.deleted:>7}")
    lines.append(f"  total: {outcome.total}")
    return "\n".join(lines)
