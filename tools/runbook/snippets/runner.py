"""Run a snippet with psql exactly as an operator would, inside one transaction that is kept
only when asked; and plan every statement of a snippet against a live schema (`runbook check`).

The runner feeds psql a short script:

    \\set ON_ERROR_STOP on
    set runbook.dry_run = on;      -- off with --commit; snippets with side effects read it
    begin;                         -- `begin read only;` for a read snippet; a write snippet
                                   -- opens the transaction itself with its first line, begin;
    \\i '<the snippet file>'
    <what changed: pg_stat_xact_user_tables, per table, inside the transaction>
    commit;  or  rollback;         -- commit only with --commit and, given --expect N, N rows changed

Parameters go on the command line as `-v name=value`; the snippet reads them as :'name' (or
:"name" for identifiers), so psql quotes them. Any error stops psql; the server then rolls the
open transaction back. Counting caveat: pg_stat_xact_user_tables counts every row a statement
touched, including rows of a rolled-back subtransaction, and nothing in the system catalogs
(a GRANT counts 0). The snippets therefore use no savepoints or exception handlers.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field

from runbook.pg.server import psql_binary
from runbook.snippets.catalog import Snippet
from runbook.snippets.statements import Statement, split

MARK = "@@runbook"
FIELD_SEP = "\x1f"  # unaligned output (tests, tools): fields and records are split on
RECORD_SEP = "\x1e"  # control characters, so values may hold tabs and newlines
NULL = "\\N"

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_EXPECT = 0, 1, 2, 3


class PsqlNotFound(RuntimeError):
    """No psql client on this machine; the message says how to get one."""


class ConnectionFailed(RuntimeError):
    """psql could not connect (its exit status 2); the message is psql's."""


def find_psql() -> str:
    """The psql client to run, as runbook.pg.server.psql_binary() chooses it."""
    try:
        return psql_binary()
    except FileNotFoundError as exc:
        raise PsqlNotFound(str(exc)) from None


def psql_argv(dsn: str | None, *, unaligned: bool = False, stop_on_error: bool = True) -> list[str]:
    argv = [find_psql(), "-X", "--no-psqlrc", "-v", f"ON_ERROR_STOP={int(stop_on_error)}",
            "-P", "pager=off"]
    if unaligned:
        argv += ["-q", "-A", "-F", FIELD_SEP, "-R", RECORD_SEP, "-P", f"null={NULL}"]
    else:
        argv += ["-P", "null=(null)"]
    if dsn:
        argv += ["--dbname", dsn]
    return argv


def _psql_env(snippet_id: str) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("PGAPPNAME", f"runbook {snippet_id}")
    env["PSQL_PAGER"] = env["PAGER"] = ""
    return env


def _include(path) -> str:
    return "\\i '" + str(path).replace("\\", "\\\\").replace("'", "\\'") + "'"


# --------------------------------------------------------------------------------------------
# run


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
    """What a run did. exit_code: 0 ok, 1 psql failed (stderr says why), 3 --expect mismatch."""

    snippet: Snippet
    exit_code: int
    output: str  # the snippet's own output (psql's stdout without the runner's markers)
    stderr: str
    changes: list[Change] = field(default_factory=list)
    committed: bool = False
    finished: bool = False  # the script reached its end (no error)
    expect: int | None = None
    unaligned: bool = False

    @property
    def total(self) -> int:
        return sum(c.total for c in self.changes)

    @property
    def expect_mismatch(self) -> bool:
        return self.finished and self.expect is not None and self.total != self.expect

    def tables(self) -> list[list[dict]]:
        """Result sets of an unaligned run, as lists of {column: value} (None for NULL)."""
        if not self.unaligned:
            raise ValueError("tables() needs a run with unaligned=True")
        return parse_unaligned(self.output)

    def rows(self, index: int = -1) -> list[dict]:
        tables = self.tables()
        return tables[index] if tables else []


def opens_transaction(snippet: Snippet) -> bool:
    """A write snippet starts with its own `begin;`, so that a paste commits nothing by itself."""
    statements = split(snippet.text)
    return bool(statements) and statements[0].keyword in ("begin", "start")


def build_script(snippet: Snippet, *, commit: bool, expect: int | None, unaligned: bool) -> str:
    write = snippet.effect == "write"
    lines = [
        "\\set ON_ERROR_STOP on",
        "\\set QUIET on",
        # Session-wide, so it holds whether the runner or the snippet's own begin; opens the
        # transaction; snippets with side effects outside the transaction read it.
        f"set runbook.dry_run = {'off' if commit and write else 'on'};",
    ]
    if not (write and opens_transaction(snippet)):
        lines.append("begin;" if write else "begin read only;")
    if not unaligned:
        lines.append("\\set QUIET off")
    lines += [
        _include(snippet.path),
        "\\set QUIET on",
        f"\\echo {MARK}:finished",
        "\\pset format unaligned",
        "\\pset tuples_only on",
        "\\pset fieldsep ' '",
        f"select '{MARK}:change', schemaname || '.' || relname, n_tup_ins, n_tup_upd, n_tup_del",
        "  from pg_stat_xact_user_tables",
        " where n_tup_ins + n_tup_upd + n_tup_del > 0",
        "   and schemaname !~ '^pg_temp'",  # a snippet's scratch tables (undo log, scope)
        " order by 2;",
    ]
    if write and commit:
        if expect is None:
            lines += ["commit;", f"\\echo {MARK}:committed"]
        else:
            lines += [
                "select coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) = "
                f"{int(expect)} as runbook_expect_met from pg_stat_xact_user_tables"
                " where schemaname !~ '^pg_temp' \\gset",
                "\\if :runbook_expect_met",
                "commit;",
                f"\\echo {MARK}:committed",
                "\\else",
                "rollback;",
                "\\endif",
            ]
    else:
        lines.append("rollback;")
    return "\n".join(lines) + "\n"


def run_snippet(
    snippet: Snippet,
    params: dict[str, str],
    *,
    dsn: str | None = None,
    commit: bool = False,
    expect: int | None = None,
    unaligned: bool = False,
    timeout: float | None = None,
) -> Outcome:
    """Run a snippet whose params were already checked (snippet.bind). Raises PsqlNotFound."""
    if snippet.kind != "sql":
        raise ValueError(f"{snippet.id} is not an SQL snippet")
    argv = psql_argv(dsn, unaligned=unaligned)
    for name, value in params.items():
        argv += ["-v", f"{name}={value}"]
    script = build_script(snippet, commit=commit, expect=expect, unaligned=unaligned)
    proc = subprocess.run(
        argv + ["-f", "-"],
        input=script,
        capture_output=True,
        text=True,
        env=_psql_env(snippet.id),
        timeout=timeout,
    )
    kept, changes, finished, committed = [], [], False, False
    for line in proc.stdout.split("\n"):
        if line.startswith(f"{MARK}:change "):
            _, table, ins, upd, dele = line.split(" ")
            changes.append(Change(table, int(ins), int(upd), int(dele)))
        elif line == f"{MARK}:finished":
            finished = True
        elif line == f"{MARK}:committed":
            committed = True
        elif finished and line in ("ROLLBACK", "COMMIT"):
            continue
        elif not finished:
            kept.append(line)
    outcome = Outcome(
        snippet=snippet,
        exit_code=EXIT_OK,
        output="\n".join(kept).rstrip("\n"),
        stderr=proc.stderr,
        changes=changes,
        committed=committed,
        finished=finished and proc.returncode == 0,
        expect=expect,
        unaligned=unaligned,
    )
    if proc.returncode != 0 or not finished:
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


# --------------------------------------------------------------------------------------------
# check


@dataclass
class CheckResult:
    snippet: Snippet
    ok: bool
    planned: list[Statement] = field(default_factory=list)
    executed: list[Statement] = field(default_factory=list)  # select set_config(...) only
    not_planned: list[Statement] = field(default_factory=list)
    failed: Statement | None = None
    error: str = ""


def psql_set_line(name: str, value: str) -> str:
    """A psql `\\set name 'value'` line: quotes doubled, backslashes escaped (psql unescapes)."""
    quoted = value.replace("\\", "\\\\").replace("'", "''")
    return f"\\set {name} '{quoted}'"


def _plan(snippets: list[Snippet]):
    """The check script, and per snippet (statements, planned, executed, not planned)."""
    lines = [
        "\\set QUIET on",
        "\\o /dev/null",
        "set statement_timeout = '30s';",
        "set lock_timeout = '5s';",
    ]
    plans = []
    for index, snippet in enumerate(snippets):
        statements = split(snippet.text)
        planned, executed, not_planned = [], [], []
        lines.append(f"\\warn {MARK}:snippet {index}")
        lines += [psql_set_line(k, v) for k, v in snippet.bind(snippet.examples()).items()]
        # A snippet's temporary tables exist before its other statements are planned: they are
        # created first (a CREATE ... AS query WITH NO DATA, so its query is planned, not run),
        # then the transaction turns read-only, which PostgreSQL allows at any point.
        lines.append("begin;")
        for number, stmt in enumerate(statements):
            if stmt.creates_temp_table:
                create_as = re.match(r"create\s+(?:local\s+)?temp(?:orary)?\s+table\s+(?:if\s+not\s+exists\s+)?"
                                     r"[\w.\"]+\s+(?:on\s+commit\s+(?:drop|delete\s+rows|preserve\s+rows)\s+)?as\b",
                                     stmt.text, re.I)
                text = stmt.text + " with no data" if create_as else stmt.text
                lines += [f"\\warn {MARK}:statement {index} {number}", text + ";"]
                executed.append(stmt)
        lines.append("set transaction read only;")
        for number, stmt in enumerate(statements):
            if stmt.controls_transaction:  # check owns the (read-only) transaction
                continue
            if stmt.creates_temp_table:
                continue
            if stmt.sets_config_only:  # executed: later statements read these settings
                lines += [f"\\warn {MARK}:statement {index} {number}", stmt.text + ";"]
                executed.append(stmt)
            elif stmt.plannable:
                lines += [f"\\warn {MARK}:statement {index} {number}", "explain " + stmt.text + ";"]
                planned.append(stmt)
            else:
                not_planned.append(stmt)
        lines.append("rollback;")
        plans.append((statements, planned, executed, not_planned))
    lines.append(f"\\warn {MARK}:finished")
    return "\n".join(lines) + "\n", plans


def check_snippets(snippets: list[Snippet], dsn: str | None, timeout: float | None = 600) -> list[CheckResult]:
    """EXPLAIN (never execute) each plannable statement of each snippet, with its example
    parameters, in one psql session: one read-only transaction per snippet, rolled back.

    Markers go to stderr with \\warn (psql 13 or later), in order with psql's error messages,
    so the first error after a snippet's marker is that snippet's.
    """
    script, plans = _plan(snippets)
    argv = psql_argv(dsn, unaligned=True, stop_on_error=False)  # one snippet's error is not the end
    proc = subprocess.run(argv + ["-f", "-"], input=script, capture_output=True, text=True,
                          env=_psql_env("check"), timeout=timeout)
    if proc.returncode == 2 or (proc.returncode != 0 and MARK not in proc.stderr):
        raise ConnectionFailed(proc.stderr.strip() or f"psql exited with {proc.returncode}")
    if "invalid command \\warn" in proc.stderr:
        raise RuntimeError("runbook check needs psql 13 or later (\\warn)")
    results = [CheckResult(s, ok=False, planned=p[1], executed=p[2], not_planned=p[3])
               for s, p in zip(snippets, plans)]
    seen: set[int] = set()
    current = statement = None
    errors: dict[int, list[str]] = {}
    for line in proc.stderr.split("\n"):
        if line.startswith(f"{MARK}:snippet "):
            current, statement = int(line.split()[1]), None
            seen.add(current)
        elif line.startswith(f"{MARK}:statement "):
            _, index, number = line.split()
            statement = plans[int(index)][0][int(number)]
        elif line == f"{MARK}:finished":
            current = None
        elif current is not None and line.strip():
            if current not in errors and not re.search(r"\b(ERROR|FATAL):", line):
                continue  # a notice, not a failure
            if current not in errors:
                results[current].failed = statement
                errors[current] = []
            if results[current].failed is statement and len(errors[current]) < 4:
                errors[current].append(re.sub(r"^psql:<stdin>:\d+: ", "", line))
    for index, result in enumerate(results):
        if index not in seen:
            result.error = "not checked: psql stopped before it"
        elif index in errors:
            result.error = "\n".join(errors[index])
        else:
            result.ok = True
    return results


def check_snippet(snippet: Snippet, dsn: str | None) -> CheckResult:
    return check_snippets([snippet], dsn)[0]
