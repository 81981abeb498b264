"""How long the Postgres fixtures take, measured in one run and printed as a table.

    python benchmarks/bench_postgres.py [--rounds N] [--provider embedded --provider local ...]

For each provider (default: the one runbook.pg picks): server start to first query,
template build, what a test waits for with a clone (CREATE DATABASE ... TEMPLATE, connect,
query; the drop runs in the background as in the fixtures; median and p95), and the same when
the schema DDL is re-run into a fresh database instead. The figure that matters is the ratio
of the last two. Prints; never asserts.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from benchlib import ms, percentile, show

from runbook import pg as postgres


def cycle(server, make, background_drop: bool = True) -> float:
    """What a test waits for: a fresh database, a connection, a query; then the drop, which the
    fixtures leave to a background thread (timed here only when background_drop is False)."""
    start = time.perf_counter()
    db = make()
    db.execute("select count(*) from warehouse.identifier_set")
    if background_drop:
        elapsed = time.perf_counter() - start
        db.drop_later()
        return elapsed
    db.drop()
    return time.perf_counter() - start


def settle(server) -> None:
    """Wait for background drops, so that one phase does not slow the next."""
    if server._dropper is not None:
        server._drops.join()


def measure(provider: str | None, rounds: int) -> list[tuple[str, str]]:
    if provider:
        os.environ["RUNBOOK_PG_PROVIDER"] = provider
    start = time.perf_counter()
    try:
        server = postgres.start_server()
    except (postgres.NoProviderError, postgres.ServerStartError) as exc:
        raise SystemExit(f"bench_postgres: {exc}") from None
    server.admin_execute("select 1")
    ready = time.perf_counter() - start
    try:
        start = time.perf_counter()
        template = postgres.create_template(
            server, server.db_name("id3c_template"), postgres.id3c_schema_files()
        )
        build = time.perf_counter() - start
        counter = iter(range(10**6))

        def from_template():
            return postgres.clone(server, template)

        def from_ddl():
            db = postgres.create_database(server, server.db_name(f"ddl{next(counter)}"))
            postgres.load_sql(server, db.name, postgres.id3c_schema_files())
            return db

        for make in (from_template, from_ddl):  # warm up
            cycle(server, make)
        settle(server)
        clones = [cycle(server, from_template) for _ in range(rounds)]
        settle(server)
        syncs = [cycle(server, from_template, background_drop=False) for _ in range(rounds)]
        ddls = [cycle(server, from_ddl) for _ in range(rounds)]
        settle(server)
        strategy = postgres.clone_strategy(server) or "server default"
        creates = {}
        if server.server_version_num >= 150000:
            for strat in ("file_copy", "wal_log"):
                times = []
                for i in range(rounds):
                    name = server.db_name(f"{strat}{i}")
                    begin = time.perf_counter()
                    postgres.create_database(server, name, template=template, strategy=strat)
                    times.append(time.perf_counter() - begin)
                    postgres.drop_database(server, name)
                creates[strat] = statistics.median(times)
        steps = [(f"  of which {k}", ms(v)) for k, v in server.timings.items()]
        return [
            ("provider", f"{server.provider}, PostgreSQL {server.version.split()[0]}"),
            *[("note", note) for note in server.notes],
            ("data directory", server.datadir or "(server's own)"),
            ("server start to first query", ms(ready)),
            *steps,
            ("template build (schema DDL + seeds)", ms(build)),
            (f"per-test clone, median (strategy {strategy})", ms(statistics.median(clones))),
            ("per-test clone, p95", ms(percentile(clones, 95))),
            ("  the same with DROP DATABASE in the test, median", ms(statistics.median(syncs))),
            *[(f"  CREATE DATABASE alone, {k}, median", ms(v)) for k, v in creates.items()],
            ("per-test schema DDL re-run, median", ms(statistics.median(ddls))),
            ("per-test schema DDL re-run, p95", ms(percentile(ddls, 95))),
            ("DDL re-run / clone (median)",
             f"{statistics.median(ddls) / statistics.median(clones):.1f}x"),
            ("rounds", str(rounds)),
            ("load average at the end (1 min)", f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"),
        ]
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--provider", action="append", choices=postgres.PROVIDERS,
                        help="measure this provider (repeatable); default: the one selected")
    args = parser.parse_args()
    for provider in args.provider or [None]:
        show("Postgres fixtures", ("measure", "value"), measure(provider, args.rounds))


if __name__ == "__main__":
    main()
