"""`runbook check`: plan every statement of the snippets against a live schema, never run them.

One psql session, one read-only transaction per snippet, rolled back; each plannable statement is
EXPLAINed with the snippet's example parameters, so a renamed column or table shows up before an
operator needs the snippet. Statements EXPLAIN cannot take (DO blocks, GRANT) are counted as not
planned; `select set_config(...)` lines are executed, since later statements read those settings.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field

from runbook.snippets.catalog import Snippet
from runbook.snippets.client import ConnectionFailed, connection_env, psql_argv, psql_set_line
from runbook.snippets.runner import UNDO_TABLE
from runbook.snippets.statements import Statement, split

MARK = "@@runbook"

_CREATE_AS = re.compile(
    r"create\s+(?:local\s+)?temp(?:orary)?\s+table\s+(?:if\s+not\s+exists\s+)?[\w.\"]+\s+"
    r"(?:on\s+commit\s+(?:drop|delete\s+rows|preserve\s+rows)\s+)?as\b", re.I)


@dataclass
class CheckResult:
    snippet: Snippet
    ok: bool
    planned: list[Statement] = field(default_factory=list)
    executed: list[Statement] = field(default_factory=list)  # select set_config(...) only
    not_planned: list[Statement] = field(default_factory=list)
    failed: Statement | None = None
    error: str = ""


def _plan(snippets: list[Snippet]):
    """The check script, and per snippet (statements, planned, executed, not planned)."""
    lines = [
        "\\set QUIET on",
        "\\o /dev/null",
        "set statement_timeout = '30s';",
        "set lock_timeout = '5s';",
        UNDO_TABLE + ";",  # made before the read-only transactions, so statements that fill it plan
    ]
    plans = []
    for index, snippet in enumerate(snippets):
        statements = split(snippet.text)
        planned, executed, not_planned = [], [], []
        lines.append(f"\\warn {MARK}:snippet {index}")
        lines += [psql_set_line(k, v) for k, v in snippet.bind(snippet.examples()).items()]
        # A snippet's own temporary tables (a frozen scope) exist before its other statements
        # are planned: they are created first (a CREATE ... AS query WITH NO DATA, so its query
        # is planned, not run), then the transaction turns read-only, which PostgreSQL allows.
        lines.append("begin;")
        for number, stmt in enumerate(statements):
            if stmt.creates_temp_table:
                text = stmt.text + " with no data" if _CREATE_AS.match(stmt.text) else stmt.text
                lines += [f"\\warn {MARK}:statement {index} {number}", text + ";"]
                executed.append(stmt)
        lines.append("set transaction read only;")
        for number, stmt in enumerate(statements):
            if stmt.controls_transaction or stmt.creates_temp_table:  # done above, or check's own
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
    argv = psql_argv(unaligned=True, stop_on_error=False)  # one snippet's error is not the end
    with connection_env(dsn, "runbook check") as env:
        proc = subprocess.run(argv, input=script, capture_output=True, text=True, env=env,
                              timeout=timeout)
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
