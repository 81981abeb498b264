"""How long the SQL snippet suite takes, and what one snippet test costs, printed as a table.

    python benchmarks/bench_sql.py [--rounds N] [--skip-suite]

1. The suite: pytest on tests/test_sql_*.py (and, separately, with tests/test_runner.py) in a
   subprocess, wall time from launch to exit, server start included. Target: under 20 s.
2. Per-snippet overhead, on one server from the provider the tests would use: a clone of the
   ID3C template (CREATE DATABASE ... TEMPLATE), a bare `psql -c 'select 1'`, and a read
   snippet through the runner (psql, one transaction, change count), each N times; median and
   p95. Prints; never asserts.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchlib import ms, percentile, show

ROOT = Path(__file__).resolve().parents[1]


def time_suite(files: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *files],
                          cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    summary = (proc.stdout.strip().splitlines() or ["(no output)"])[-1]
    return elapsed, summary


def timed(fn, rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def per_snippet(rounds: int) -> list[tuple[str, str, str]]:
    from runbook import pg as postgres
    from runbook.snippets import catalog, check, client, runner

    rows = []
    start = time.perf_counter()
    server = postgres.start_server()
    rows.append(("server start (provider " + server.provider + ")", ms(time.perf_counter() - start), ""))
    try:
        template = postgres.create_template(server, server.db_name("bench_tpl"), postgres.id3c_schema_files())
        clones = []

        def clone():
            clones.append(postgres.clone(server, template))

        samples = timed(clone, rounds)
        rows.append((f"clone the template (x{rounds})", ms(statistics.median(samples)), ms(percentile(samples, 95))))
        db = clones[0]
        db.execute("insert into warehouse.identifier (uuid, barcode, identifier_set_id)"
                   " values ('00000000-0000-4000-8000-0000aaaaaaaa', 'aaaaaaaa', 1)")
        psql = client.find_psql()
        samples = timed(lambda: subprocess.run([psql, "-X", "-q", "--dbname", db.url, "-c", "select 1"],
                                               capture_output=True, check=True), rounds)
        rows.append((f"psql -c 'select 1' (x{rounds}): {psql}", ms(statistics.median(samples)), ms(percentile(samples, 95))))
        wrapper = shutil.which("psql")
        if wrapper and os.path.basename(os.path.realpath(wrapper)) == "pg_wrapper":
            samples = timed(lambda: subprocess.run([wrapper, "-X", "-q", "--dbname", db.url, "-c", "select 1"],
                                                   capture_output=True, check=True), rounds)
            rows.append((f"  the same through Debian's pg_wrapper {wrapper}", ms(statistics.median(samples)),
                         ms(percentile(samples, 95))))
        snippet = catalog.find("find-sample")
        params = snippet.bind({"barcode": "aaaaaaaa"})
        samples = timed(lambda: runner.run_snippet(snippet, params, dsn=db.url, unaligned=True), rounds)
        rows.append((f"runner: find-sample (x{rounds})", ms(statistics.median(samples)), ms(percentile(samples, 95))))
        write = catalog.find("create-samples-from-aliquot-manifest")
        wparams = write.bind({"sample_barcodes": "aaaaaaaa"})
        samples = timed(lambda: runner.run_snippet(write, wparams, dsn=db.url, unaligned=True), rounds)
        rows.append((f"runner: a write, dry run (x{rounds})", ms(statistics.median(samples)), ms(percentile(samples, 95))))
        sql = [s for s in catalog.discover() if s.kind == "sql" and s.database == "id3c"]
        samples = timed(lambda: check.check_snippets(sql, db.url), max(1, rounds // 5))
        rows.append((f"check: {len(sql)} snippets, one psql", ms(statistics.median(samples)), ms(percentile(samples, 95))))
    finally:
        server.stop()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--skip-suite", action="store_true", help="only the per-snippet figures")
    args = parser.parse_args()
    if not args.skip_suite:
        sql_files = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests").glob("test_sql_*.py"))
        suites = []
        for label, files in (("tests/test_sql_*.py", sql_files),
                             ("tests/test_sql_*.py + test_runner.py", [*sql_files, "tests/test_runner.py"])):
            elapsed, summary = time_suite(files)
            suites.append((label, f"{elapsed:.1f} s", summary))
        show("SQL snippet suite (wall time, server start included; target < 20 s)",
             ("suite", "wall time", "pytest says"), suites)
    show("Per-snippet overhead", ("step", "median", "p95"), per_snippet(args.rounds))


if __name__ == "__main__":
    main()
