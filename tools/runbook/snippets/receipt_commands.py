"""The `runbook receipts` and `runbook undo` commands: the CLI over runbook.snippets.receipts
and runbook.snippets.undo. An undo runs through the same runner and reporting as `runbook run`
(runbook.snippets.commands.execute): a dry run unless --commit, --expect, and its own receipt."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

import click

from runbook.snippets import catalog, receipts, undo
from runbook.snippets.commands import _fail, execute


@click.group("receipts", invoke_without_command=True)
@click.pass_context
def receipts_cmd(ctx):
    """List the receipts of committed runs, newest first (`receipts show FILE` prints one)."""
    if ctx.invoked_subcommand:
        return
    entries = receipts.listing()
    if not entries:
        click.echo(f"no receipts in {receipts.receipts_dir()}")
        return
    header = ("when (UTC)", "snippet", "rows", "database", "status", "receipt")
    rows = [(e.time, e.snippet, str(e.total), e.database, e.status, e.path.name) for e in entries]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo("  ".join(col.ljust(widths[i]) for i, col in enumerate(row)).rstrip())


@receipts_cmd.command("show")
@click.argument("receipt", metavar="FILE")
def show_receipt_cmd(receipt):
    """Print one receipt (a path, or a file name from `runbook receipts`)."""
    try:
        data = receipts.load(receipts.resolve(receipt))
    except receipts.ReceiptError as exc:
        _fail(str(exc), code=1)
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


@click.command("undo")
@click.argument("receipt", metavar="RECEIPT")
@click.option("--dsn", metavar="URL", help="The database the receipt names (default: libpq's PG* environment, PGSERVICE).")
@click.option("--commit", is_flag=True, help="Keep the undo (default: dry run); writes its own receipt first.")
@click.option("--expect", type=click.IntRange(min=0), metavar="N",
              help="Roll back unless exactly N rows change (exit 3 otherwise).")
def undo_cmd(receipt, dsn, commit, expect):
    """Put back the rows a committed run changed, from its receipt; a dry run unless --commit.

    Refuses, changing nothing, when a row changed since the receipt or a row to re-insert
    exists again.
    """
    try:
        path = receipts.resolve(receipt)
        data = receipts.load(path)
        sql = undo.undo_sql(data, path.name)
    except (receipts.ReceiptError, undo.UndoError) as exc:
        _fail(str(exc), code=1)
    folder = Path(tempfile.mkdtemp(prefix="runbook-undo-"))  # 700: the before-images
    try:
        script = folder / f"undo-{path.stem}.sql"
        script.write_text(sql)
        script.chmod(0o600)
        snippet = catalog.Snippet(id="undo", path=script, kind="sql", title=f"Undo {path.name}",
                                  effect="write", database=_database_kind(data))
        click.echo(f"-- undoing {path.name}: {data['snippet']['id']} on {data.get('database')}, "
                   f"{data.get('time')}, {len(data.get('rows', []))} row(s)", err=True)
        execute(snippet, {}, dsn=dsn, commit=commit, expect=expect, undoes=str(path))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    sys.exit(0)


def _database_kind(data: dict) -> str:
    try:
        return catalog.find(data["snippet"]["id"]).database
    except KeyError:
        return "id3c"
