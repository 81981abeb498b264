"""The snippet commands of the `runbook` CLI: list, show, run, check.

Parameters are checked against the snippet's header before anything connects; a missing,
unknown or malformed one exits with status 2 and a message that names it. The psql mechanics
live in runbook.snippets.runner (run) and runbook.snippets.check (check), both on .client.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from runbook.snippets import catalog, check, client, includes, receipts, runner, undo

WRITE_NOTE = (
    "-- effect: write. The lines below run inside begin; ... check the output, save its last\n"
    "-- result (the before-images of the rows it changes), then type commit; to keep the\n"
    "-- changes, or rollback; to undo them.\n"
)


def _fail(message: str, code: int = 2) -> None:
    click.echo(f"runbook: {message}", err=True)
    sys.exit(code)


def _find(snippet_id: str) -> catalog.Snippet:
    try:
        return catalog.find(snippet_id)
    except KeyError as exc:
        _fail(exc.args[0])


def _parse_params(pairs: tuple[str, ...]) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            _fail(f"--param {pair!r}: expected NAME=VALUE")
        if name.strip() in params:
            _fail(f"parameter {name.strip()!r} given twice")
        params[name.strip()] = value
    return params


def _bind(snippet: catalog.Snippet, given: dict[str, str]) -> dict[str, str]:
    try:
        return snippet.bind(given)
    except catalog.ParamError as exc:
        _fail(f"{snippet.id}: {exc}")


def pages_including(relpath: str, docs: Path | None = None) -> list[str]:
    """docs/**/*.md pages with a `--8<-- "<relpath>"` line (relpath: from the checkout's root);
    a page that only mentions the path does not count (runbook.snippets.includes reads them)."""
    return includes.pages_including(relpath, docs or catalog.repo_root() / "docs")


param_option = click.option(
    "--param", "-p", "params", multiple=True, metavar="NAME=VALUE",
    help="A snippet parameter (repeat). Lists are one comma-separated value.",
)


@click.command("list")
@click.option("--kind", type=click.Choice(["sql", "sh"]), help="Only SQL or only shell snippets.")
def list_cmd(kind):
    """List the snippets: id, title, effect and the page that includes it."""
    rows = []
    for snippet in catalog.discover():
        if kind and snippet.kind != kind:
            continue
        pages = pages_including(snippet.relpath)
        rows.append((snippet.id, snippet.effect, snippet.title, ", ".join(pages) or "(no page)"))
    if not rows:
        return
    widths = [max(len(r[i]) for r in rows + [("id", "effect", "title", "page")]) for i in range(3)]
    header = ("id", "effect", "title", "page")
    for row in [header, *rows]:
        click.echo("  ".join(col.ljust(widths[i]) for i, col in enumerate(row[:3])) + "  " + row[3])


@click.command("show")
@click.argument("snippet_id", metavar="ID")
@param_option
@click.option("--examples", is_flag=True, help="Fill parameters not given with the header's examples.")
def show_cmd(snippet_id, params, examples):
    """Print a snippet with its \\set lines filled in, ready to paste into psql."""
    snippet = _find(snippet_id)
    given = _parse_params(params)
    if snippet.kind != "sql":
        _fail(f"{snippet.id} is a shell snippet; `cat {snippet.relpath}` shows it")
    if examples:
        given = {**{k: v for k, v in snippet.examples().items() if v is not None}, **given}
    bound = _bind(snippet, given)
    out = [f"-- {snippet.title}  ({snippet.id}, database: {snippet.database})"]
    if snippet.effect == "write":
        out.append(WRITE_NOTE.rstrip("\n"))
    out.append("\\set ON_ERROR_STOP on")
    out += [runner.psql_set_line(name, value) for name, value in bound.items()]
    if snippet.effect == "write" and not runner.opens_transaction(snippet):
        out.append("begin;")
    out.append(snippet.body.strip("\n"))  # the YAML header is summarised on the first line
    click.echo("\n".join(out))


@click.command("run")
@click.argument("snippet_id", metavar="ID")
@param_option
@click.option("--dsn", metavar="URL", help="Connection URI or conninfo (default: libpq's PG* environment, PGSERVICE, ~/.pgpass).")
@click.option("--commit", is_flag=True, help="Keep the changes of a write snippet (default: dry run); writes a receipt first.")
@click.option("--expect", type=click.IntRange(min=0), metavar="N",
              help="Roll back unless exactly N rows change (exit 3 otherwise).")
def run_cmd(snippet_id, params, dsn, commit, expect):
    """Run a snippet with psql in one transaction; writes are rolled back unless --commit."""
    snippet = _find(snippet_id)
    if snippet.kind != "sql":
        _fail(f"{snippet.id} is a shell snippet; run it from a shell")
    bound = _bind(snippet, _parse_params(params))
    if snippet.effect == "read" and (commit or expect is not None):
        _fail(f"{snippet.id} only reads: --commit and --expect do not apply")
    if snippet.database != "id3c":
        click.echo(f"-- {snippet.id} runs in the {snippet.database} database: --dsn must point there", err=True)
    execute(snippet, bound, dsn=dsn, commit=commit, expect=expect,
            irreversible=undo.irreversible_note(snippet))


def execute(snippet, bound, *, dsn, commit, expect, undoes=None, irreversible=None):
    """Run, report, and for a committed write keep a receipt: the CLI half of run and undo."""
    written: list = []

    def keep_receipt(outcome):
        data = receipts.build(outcome, bound, undoes=undoes, irreversible=irreversible)
        written.append((receipts.write(data), data))

    try:
        outcome = runner.run_snippet(snippet, bound, dsn=dsn, commit=commit, expect=expect,
                                     before_commit=keep_receipt)
    except (client.PsqlNotFound, client.DsnError) as exc:
        _fail(str(exc), code=1)
    except client.ConnectionFailed as exc:
        _fail(f"could not connect to the database, nothing ran:\n{exc}", code=1)
    except receipts.ReceiptError as exc:
        _fail(f"{exc}\nnothing was committed (no receipt, no commit)", code=1)
    if outcome.output:
        click.echo(outcome.output)
    if outcome.exit_code == runner.EXIT_ERROR:
        if outcome.stderr.strip():
            click.echo(outcome.stderr.rstrip("\n"), err=True)
        why = f"{outcome.refusal}: " if outcome.refusal else "psql failed: "
        click.echo(f"runbook: {why}everything was rolled back", err=True)
        _settle(written, outcome)
        sys.exit(runner.EXIT_ERROR)
    if outcome.stderr.strip():  # notices
        click.echo(outcome.stderr.rstrip("\n"), err=True)
    if snippet.effect == "read":
        return
    click.echo(runner.format_changes(outcome))
    if outcome.expect_mismatch:
        click.echo(f"expect mismatch: {outcome.total} rows would change, --expect {expect}: rolled back")
        sys.exit(runner.EXIT_EXPECT)
    _settle(written, outcome)
    if outcome.committed:
        click.echo(f"committed: {outcome.total} rows changed")
        click.echo(f"receipt: {written[0][0]}")
        if irreversible:
            click.echo(f"cannot be undone: {irreversible}")
        else:
            click.echo(f"undo with: runbook undo {written[0][0].name}")
    else:
        hint = " (add --commit to keep these changes)" if not commit else ""
        click.echo(f"dry run: rolled back{hint}")
        for table, (changed, captured) in outcome.uncaptured().items():
            click.echo(f"warning: {table}: {changed} rows changed but {captured} captured for undo; "
                       "--commit will refuse", err=True)


def _settle(written, outcome) -> None:
    """Record in the receipt whether the commit happened (it was written before)."""
    for path, data in written:
        status = "committed" if outcome.committed else "rolled back"
        try:
            receipts.mark(path, data, status, outcome.output)
        except receipts.ReceiptError as exc:
            click.echo(f"runbook: {status}, but {exc}", err=True)


@click.command("check")
@click.option("--dsn", metavar="URL", help="The ID3C database (default: libpq's PG* environment).")
@click.option("--metabase-dsn", metavar="URL", help="Metabase's application database, to check its snippets too.")
@click.argument("snippet_ids", nargs=-1, metavar="[ID]...")
def check_cmd(dsn, metabase_dsn, snippet_ids):
    """Plan every SQL snippet (EXPLAIN, never executed, read-only) with its example parameters.

    Statements EXPLAIN cannot take (DO blocks, GRANT) are counted as not planned.
    """
    snippets = [_find(i) for i in snippet_ids] if snippet_ids else catalog.discover()
    snippets = [s for s in snippets if s.kind == "sql"]
    groups = {"id3c": [s for s in snippets if s.database != "metabase"],
              "metabase": [s for s in snippets if s.database == "metabase"]}
    results = {}
    for database, members in groups.items():
        target = metabase_dsn if database == "metabase" else dsn
        if not members or (database == "metabase" and not metabase_dsn):
            continue
        try:
            for result in check.check_snippets(members, target):
                results[result.snippet.id] = result
        except (client.PsqlNotFound, client.ConnectionFailed, RuntimeError) as exc:
            _fail(f"{database} database: {exc}", code=1)
    failed = 0
    for snippet in snippets:
        result = results.get(snippet.id)
        if result is None:
            click.echo(f"skip  {snippet.id}: runs in the Metabase database; pass --metabase-dsn")
            continue
        not_planned = ""
        if result.not_planned:
            kinds = ", ".join(sorted({s.keyword.upper() for s in result.not_planned}))
            not_planned = f", not planned: {len(result.not_planned)} ({kinds})"
        if result.ok:
            click.echo(f"ok    {snippet.id}: {len(result.planned)} planned{not_planned}")
        else:
            failed += 1
            where = f" at line {result.failed.line}: {result.failed.summary}" if result.failed else ""
            click.echo(f"FAIL  {snippet.id}{where}")
            click.echo("      " + result.error.replace("\n", "\n      "))
    if failed:
        click.echo(f"{failed} snippet(s) do not fit this schema")
        sys.exit(1)
