"""Run SQL snippets in tests through the operator's runner (runbook.snippets.runner, psql, one transaction).

`run(db, "find-sample", barcode="aaaaaaaa")` checks the parameters against the header as
`runbook run` does, runs psql with unaligned output so the rows can be read back, and returns
the runner's Outcome (`.rows()`, `.tables()`, `.changes`, `.total`, `.exit_code`, `.stderr`).
"""

from __future__ import annotations

import functools
from collections import Counter

from runbook.snippets import catalog, runner


@functools.cache
def snippets() -> dict[str, catalog.Snippet]:
    return {s.id: s for s in catalog.discover() if s.kind == "sql"}


def snippet(snippet_id: str) -> catalog.Snippet:
    return snippets()[snippet_id]


def run(db, snippet_id: str, *, commit: bool = False, expect: int | None = None, **params):
    s = snippet(snippet_id)
    bound = s.bind({k: str(v) for k, v in params.items()})
    return runner.run_snippet(s, bound, dsn=db.url, commit=commit, expect=expect, unaligned=True)


def ok(outcome) -> runner.Outcome:
    """The outcome, after asserting that psql ran the snippet to its end."""
    assert outcome.exit_code == 0, f"exit {outcome.exit_code}\n{outcome.output}\n{outcome.stderr}"
    return outcome


def refused(outcome, *words: str) -> str:
    """Assert psql stopped on an error that mentions every word; return the error text."""
    assert outcome.exit_code == runner.EXIT_ERROR, f"not refused:\n{outcome.output}"
    assert not outcome.committed
    for word in words:
        assert word in outcome.stderr, f"{word!r} not in:\n{outcome.stderr}"
    return outcome.stderr


def diff(before: dict, after: dict) -> dict[str, tuple[int, int]]:
    """{table: (rows gone, rows new)} between two snapshots; an updated row counts in both."""
    out = {}
    for table in sorted(set(before) | set(after)):
        old, new = Counter(map(repr, before.get(table, []))), Counter(map(repr, after.get(table, [])))
        gone, added = sum((old - new).values()), sum((new - old).values())
        if gone or added:
            out[table] = (gone, added)
    return out


def column(rows: list[dict], name: str) -> list:
    return [row[name] for row in rows]
