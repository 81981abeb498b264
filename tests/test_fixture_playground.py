"""The playground's demo data holds the situations it advertises, and the command cleans up."""

from __future__ import annotations

import os
import re

import pytest
from click.testing import CliRunner

from requirements import need
from runbook import pg as postgres
from runbook.pg import playground
from runbook.pg.server import _embedded_bindir


@pytest.fixture
def demo(pg_server):
    template = pg_server.db_name("demo_template")
    postgres.create_template(pg_server, template, postgres.id3c_schema_files() + postgres.demo_data_files())
    db = postgres.clone(pg_server, template)
    yield db
    db.drop()
    postgres.drop_database(pg_server, template)


def test_demo_data_situations(demo):
    # wrong-set collection barcodes, found case-insensitively
    assert demo.execute(
        "select distinct identifier_set_id from warehouse.identifier"
        " where barcode in ('AAAAAAAA', 'BBBBBBBB', 'CCCCCCCC')"
    ) == [(16,)]
    # the duplicate-barcode pair: one sample by sample barcode, one by collection barcode
    assert demo.execute(
        "select sample_id from warehouse.sample s join warehouse.identifier i"
        " on i.uuid::text in (s.identifier, s.collection_identifier)"
        " where i.barcode in ('dddddddd', 'eeeeeeee') order by 1"
    ) == [(137871,), (138045,)]
    # an identifier without a sample, and the unprocessed document waiting on it
    assert demo.execute(
        "select count(*) from warehouse.sample"
        " where identifier = 'b3a1f6a2-3c2d-4e5f-8a9b-0c1d2e3faaaa'"
    ) == [(0,)]
    assert demo.execute(
        "select presence_absence_id from receiving.presence_absence"
        " where not processing_log @> '[{\"revision\": 8}]' order by 1"
    ) == [(4242,), (4243,)]
    # plates found through the control wells
    plates = demo.execute(
        "select distinct left(w.\"investigatorId\", 8) from receiving.presence_absence,"
        " json_to_recordset(document -> 'samples') as w(\"investigatorId\" text)"
        " where w.\"investigatorId\" like 'BAT%' order by 1"
    )
    assert plates == [("BAT-049A",), ("BAT-051C",), ("BAT050B-",)]
    # never-tested with results (the problem) and without (as it should be)
    assert demo.execute(
        "select s.sample_id, count(p.*) from warehouse.sample s"
        " left join warehouse.presence_absence p using (sample_id)"
        " where s.details ->> 'note' = 'never-tested' group by 1 order by 1"
    ) == [(3, 2), (4, 0)]
    # sequences follow the explicit ids
    assert demo.execute(
        "insert into warehouse.sample (identifier) values ('x') returning sample_id"
    ) == [(138046,)]
    assert demo.execute(
        "insert into receiving.manifest (document) values ('{}') returning manifest_id"
    ) == [(7,)]


def test_playground_command_sets_up_prints_and_cleans_up(pg_server):
    """On a local server of its own, whatever the run's provider (the Docker playground:
    tests/test_postgres_docker.py)."""
    bindir = pg_server.bindir if pg_server.provider in ("local", "embedded") else _embedded_bindir()
    need("postgres", bindir is not None, "no local binaries for a playground of its own")
    env = {"RUNBOOK_PG_PROVIDER": "local", "RUNBOOK_PG_BINDIR": str(bindir)}
    result = CliRunner().invoke(playground.playground_cmd, ["--exit"], env=env)
    assert result.exit_code == 0, result.output
    url = re.search(r"ID3C database\s+(\S+)", result.output).group(1)
    assert url.startswith("postgresql://postgres@127.0.0.1:") and url.endswith("/id3c")
    assert f"psql {url}" in result.output or f"psql {url}" in result.output.replace("'", "")
    # under pytest no `runbook` on PATH is this very command: the printed line names its path
    assert re.search(rf"^  \S*runbook run find-plate-documents --dsn {re.escape(url)} -p plate=BAT-049A$",
                     result.output, re.M), result.output
    datadir = re.search(r"datadir (\S+)", result.output).group(1)
    assert not os.path.exists(datadir)
