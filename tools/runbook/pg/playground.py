"""`runbook playground`: a throwaway ID3C-like database with demo data, until Ctrl-C.

It uses the same providers and schema as the tests (runbook.pg): the ID3C-like schema plus
runbook/pg/data/demo-data.sql in a database `id3c`, and Metabase's report_card in `metabase`.
Everything is removed when it stops. It listens on 127.0.0.1 only (a container publishes its port
there, with a random password that the printed DSN carries).
"""

from __future__ import annotations

import shlex
import shutil
import time

import click
import psycopg

from runbook import pg as postgres
from runbook.shell import runbook_command
from runbook.snippets.client import psql_binary

TRY = [
    ("find-plate-documents", "-p plate=BAT-049A"),
    ("show-barcode-sets", "-p barcodes=aaaaaaaa,bbbbbbbb,cccccccc"),
    ("find-closest-barcodes", "-p barcode=aaaaaaab"),
    ("show-duplicate-barcode-samples", "-p sample_ids=137871,138045"),
    ("show-identifier", "-p identifier=b3a1f6a2-3c2d-4e5f-8a9b-0c1d2e3faaaa"),
    ("find-never-tested-results", ""),
]


def setup(server: postgres.Server, demo: bool = True) -> tuple[postgres.Database, postgres.Database]:
    """Create the playground's two databases on server; returns (id3c, metabase)."""
    own = server.provider in ("local", "embedded", "docker")
    names = ("id3c", "metabase") if own else (server.db_name("id3c"), server.db_name("metabase"))
    id3c_files = postgres.id3c_schema_files() + (postgres.demo_data_files() if demo else [])
    mb_files = postgres.metabase_schema_files() + (postgres.metabase_demo_data_files() if demo else [])
    postgres.create_template(server, names[0], id3c_files)
    postgres.create_template(server, names[1], mb_files)
    return postgres.Database(server, names[0]), postgres.Database(server, names[1])


def instructions(server: postgres.Server, id3c: postgres.Database, metabase: postgres.Database) -> str:
    psql = "psql" if shutil.which("psql") else psql_binary()
    dsn = shlex.quote(id3c.url)
    lines = [
        f"ID3C playground: {server.describe()}",
        *server.notes,
        "",
        f"  ID3C database      {id3c.url}",
        f"  Metabase app DB    {metabase.url}",
        "",
        "Connect:",
        f"  {psql} {dsn}",
        f"  {psql} {shlex.quote(metabase.url)}",
        "",
        "Run snippets against it:",
    ]
    runbook = runbook_command()
    lines += [f"  {runbook} run {sid} --dsn {dsn} {params}".rstrip() for sid, params in TRY]
    lines += [
        f"  {runbook} check --dsn {dsn} --metabase-dsn {shlex.quote(metabase.url)}",
        "",
        "Demo data: runbook/pg/data/demo-data.sql says what each row is for.",
        "Press Ctrl-C to stop; the server and its files are removed.",
    ]
    return "\n".join(lines)


@click.command("playground")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default="a free port",
              help="TCP port on 127.0.0.1 (the server's, or the one a container is published on).")
@click.option("--no-demo", is_flag=True, help="The schema only, without the demo data.")
@click.option("--exit", "exit_now", is_flag=True, help="Set up, print, and stop at once (a smoke test).")
def playground_cmd(port, no_demo, exit_now):
    """Start a throwaway ID3C-like database with demo data, until Ctrl-C."""
    try:
        server = postgres.start_server(tcp=True, port=port or None)
    except (postgres.NoProviderError, postgres.ServerStartError) as exc:
        raise click.ClickException(str(exc)) from None
    try:
        try:
            id3c, metabase = setup(server, demo=not no_demo)
        except (RuntimeError, psycopg.Error) as exc:
            raise click.ClickException(f"could not load the schema on {server.describe()}: "
                                       f"{str(exc).strip().splitlines()[0]}") from None
        click.echo(instructions(server, id3c, metabase))
        if exit_now:
            return
        while server.alive():
            time.sleep(1)
        raise click.ClickException(f"the server stopped: {server.describe()}")
    except KeyboardInterrupt:
        click.echo("\nStopping.")
    finally:
        server.stop()
        if server.datadir and server.provider in ("local", "embedded"):
            click.echo(f"Stopped; removed {server.datadir}.")
