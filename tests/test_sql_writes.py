"""Generic checks over every write snippet, found by discovery (a new one without a scenario
here fails): a dry run leaves every table unchanged, --commit changes exactly the rows the
runner reports, an --expect mismatch changes nothing, and bad or hostile parameters change
nothing and get an error that names the parameter."""

from __future__ import annotations

import os
import subprocess

import pytest
from click.testing import CliRunner

import scenario as sc
from runbook.cli import main
from runbook.snippets import runner
from sqlsnippets import diff, ok, run, snippets

# The database fixture is chosen per case with getfixturevalue, which the conftest's automatic
# marking cannot see: mark the module so `-m postgres` (CI's PostgreSQL 15 pass) runs it.
pytestmark = pytest.mark.postgres

HOSTILE = ["x'); drop table warehouse.sample; --", "aaaaaaaaa", "2020-13-45"]


def _pa_skip(db, cleanup):
    group = sc.pa_document(db, {"samples": []}, processing_log=[{"revision": 5}])
    sc.pa_document(db, {"samples": []})
    return {"presence_absence_id": group}, 1


def _aliquot(db, cleanup):
    sc.identifier(db, "samples", "aaaaaaaa")
    sc.identifier(db, "samples", "bbbbbbbb")
    sc.identifier(db, "samples", "cccccccc")
    sc.sample(db, sample_barcode="cccccccc")
    return {"sample_barcodes": "aaaaaaaa,bbbbbbbb,cccccccc"}, 2


def _duplicate(db, cleanup):
    sc.identifier(db, "samples", "aaaaaaaa")
    sc.identifier(db, "collections-scan", "bbbbbbbb")
    encounter = sc.encounter(db)
    kept = sc.sample(db, sample_barcode="aaaaaaaa", encounter_id=encounter)
    duplicate = sc.sample(db, collection_barcode="bbbbbbbb", encounter_id=encounter)
    sc.result(db, kept)
    return {"sample_ids": f"{kept},{duplicate}"}, 1


def _incomplete_manifest(db, cleanup):
    ids = {}
    for code in ("aaaaaaaa", "bbbbbbbb"):
        sc.identifier(db, "samples", code)
        ids[code] = sc.sample(db, sample_barcode=code)
        log = [{"etl": "manifest", "status": "created", "sample_id": ids[code], "revision": 1}]
        sc.manifest_document(db, {"sample": code}, log, received="2020-06-01 12:00-07")
        sc.manifest_document(db, {"sample": code, "collection": "11111111"}, received="2020-06-02 12:00-07")
    sc.result(db, ids["bbbbbbbb"])
    return {"date_before_error": "2020-06-01", "date_of_error": "2020-06-02"}, 1


def _manifest_records(db, cleanup):
    sc.manifest_document(db, {"sample": "aaaaaaaa"})
    sc.manifest_document(db, {"sample": "AAAAAAAA", "collection": "bbbbbbbb"})
    sc.manifest_document(db, {"sample": "cccccccc"})
    return {"barcodes": "aaaaaaaa"}, 2


def _move(db, cleanup):
    for code in ("aaaaaaaa", "bbbbbbbb", "cccccccc"):
        sc.identifier(db, "collections-kiosks-asymptomatic", code)
    return {"barcodes": "aaaaaaaa,bbbbbbbb", "from_set": "collections-kiosks-asymptomatic",
            "to_set": "collections-scan-kiosks"}, 2


def _results_sample(db):
    sc.identifier(db, "samples", "aaaaaaaa")
    sc.identifier(db, "samples", "bbbbbbbb")
    failed = sc.sample(db, sample_barcode="aaaaaaaa", details={"note": "never-tested"})
    other = sc.sample(db, sample_barcode="bbbbbbbb")
    sc.result(db, failed, "COVID-19", identifier="NWGC/111/COVID-19/chip", details={"device": "TaqmanQPCR"})
    sc.result(db, failed, "RNaseP", identifier="NWGC/111/RNaseP/chip", details={"device": "OpenArray"})
    sc.result(db, failed, "Flu_A_pan", identifier="NWGC/222/Flu_A_pan", details={"device": "TaqmanQPCR"})
    sc.result(db, other, "COVID-19", identifier="NWGC/333/COVID-19/chip", details={"device": "TaqmanQPCR"})
    return failed


def _sample_results(db, cleanup):
    _results_sample(db)
    well = {"investigatorId": "aaaaaaaa", "sampleId": 111, "chip": "chip", "isCurrentExpressionResult": True,
            "targetResults": [{"geneTarget": t, "targetStatus": "Detected"} for t in ("COVID-19", "RNaseP")]}
    doc = sc.pa_document(db, {"samples": [well]})
    return {"barcode": "aaaaaaaa", "presence_absence_id": str(doc)}, 2


def _swapped(db, cleanup):
    _results_sample(db)
    return {"lims_id": "111"}, 2


def _never_tested(db, cleanup):
    _results_sample(db)
    return {}, 2


def _pa_document(db, cleanup):
    doc = sc.pa_document(db, {"samples": [{"investigatorId": "aaaaaaaa"}]})
    sc.pa_document(db, {"samples": []})
    return {"presence_absence_id": doc}, 1


def _cancel(db, cleanup):
    return {"minutes": "5"}, 0


def _cache_ttl(db, cleanup):
    db.execute("insert into report_card (name) values ('Daily results'), ('Weekly')")
    return {"question": "Daily results", "cache_ttl": "0"}, 1


def _grant(db, cleanup):
    name = f"rb_writes_admin_{os.getpid()}"
    db.execute(f'drop role if exists "{name}"')
    db.execute(f'create role "{name}"')
    cleanup.append(lambda: db.execute(f'drop role if exists "{name}"'))
    return {"admin_role": name}, 0  # a grant changes pg_auth_members, which no table counter sees


SCENARIOS = {
    "mark-presence-absence-skipped": _pa_skip,
    "create-samples-from-aliquot-manifest": _aliquot,
    "delete-duplicate-barcode-sample": _duplicate,
    "delete-incomplete-manifest-samples": _incomplete_manifest,
    "delete-manifest-records": _manifest_records,
    "move-barcodes-to-set": _move,
    "delete-sample-results": _sample_results,
    "delete-swapped-plate-results": _swapped,
    "delete-never-tested-results": _never_tested,
    "delete-presence-absence-document": _pa_document,
    "cancel-long-queries": _cancel,
    "set-question-cache-ttl": _cache_ttl,
    "grant-metabase-role": _grant,
}

WRITE_IDS = sorted(s.id for s in snippets().values() if s.effect == "write")


def test_every_write_snippet_has_a_scenario():
    assert sorted(SCENARIOS) == WRITE_IDS


@pytest.fixture
def prepared(request):
    """(snippet id, database, params, expected row count, snapshot schemas) for a write snippet."""
    snippet_id = request.param
    snippet = snippets()[snippet_id]
    metabase = snippet.database == "metabase"
    db = request.getfixturevalue("metabase_db" if metabase else "id3c_db")
    cleanup = []
    if snippet_id not in SCENARIOS:
        pytest.fail(f"write snippet {snippet_id} has no scenario in {__name__}.SCENARIOS")
    params, expected = SCENARIOS[snippet_id](db, cleanup)
    yield snippet_id, db, params, expected, ("public",) if metabase else ("receiving", "warehouse")
    for step in cleanup:
        step()


def _cli_run(db, snippet_id, params):
    args = ["run", snippet_id, "--dsn", db.url, "--commit"]
    for name, value in params.items():
        args += ["--param", f"{name}={value}"]
    return CliRunner().invoke(main, args)


def check_hostile_parameters(db, snippet_id, params):
    """Bad, hostile or missing parameters: exit 2 naming the parameter, or a harmless run."""
    if not params:
        result = _cli_run(db, snippet_id, {"barcode": "aaaaaaaa"})
        assert result.exit_code == 2 and "unknown parameter 'barcode'" in result.stderr
    for name in params:
        for value in HOSTILE:
            result = _cli_run(db, snippet_id, {**params, name: value})
            if result.exit_code == 2:  # refused by the header, before connecting
                assert f"parameter {name!r}" in result.stderr, result.stderr
            else:  # a free-text parameter: psql quotes it, and the snippet finds nothing
                assert result.exit_code in (0, 1), result.output
                assert "rolled back" in result.output or "committed: 0 rows" in result.output
        if snippets()[snippet_id].params[name].required:
            result = _cli_run(db, snippet_id, {k: v for k, v in params.items() if k != name})
            assert result.exit_code == 2 and f"missing parameter {name!r}" in result.stderr


@pytest.mark.parametrize("prepared", WRITE_IDS, indirect=True)
def test_write_snippet_is_guarded(prepared):
    """In order, on one scenario: hostile parameters, a dry run and an --expect mismatch change
    nothing; --commit with the right --expect changes exactly the rows the runner reports."""
    snippet_id, db, params, expected, schemas = prepared
    before = db.snapshot(schemas)

    check_hostile_parameters(db, snippet_id, params)
    assert db.snapshot(schemas) == before, "a bad parameter changed something"

    dry = ok(run(db, snippet_id, **params))
    assert dry.total == expected, dry.output
    assert not dry.committed
    assert db.snapshot(schemas) == before, "the dry run changed something"

    mismatch = run(db, snippet_id, commit=True, expect=expected + 1, **params)
    assert mismatch.exit_code == 3 and mismatch.expect_mismatch and not mismatch.committed
    assert mismatch.total == expected
    assert db.snapshot(schemas) == before, "an --expect mismatch changed something"

    done = ok(run(db, snippet_id, commit=True, expect=expected, **params))
    assert done.committed and done.total == expected
    changed = diff(before, db.snapshot(schemas))
    reported = {c.table: (c.updated + c.deleted, c.inserted + c.updated) for c in done.changes}
    assert changed == reported, "the committed change differs from what the runner reported"


def _paste(psql_bin, db, snippet_id, params, *, then: str = "") -> subprocess.CompletedProcess:
    """What an operator does: \\set the parameters, paste the file into psql, maybe type more."""
    snippet = snippets()[snippet_id]
    lines = [runner.psql_set_line(k, v) for k, v in snippet.bind(params).items()]
    script = "\n".join(lines) + "\n" + snippet.text + "\n" + then
    return subprocess.run([psql_bin, "-X", "-q", db.url], input=script, capture_output=True,
                          text=True, timeout=60)


@pytest.mark.parametrize("prepared", WRITE_IDS, indirect=True)
def test_pasted_write_snippet_keeps_nothing_until_commit(prepared, psql_bin):
    """Pasted from its page and left (the session ends), a write snippet changed nothing;
    followed by commit; it changes exactly what the runner's dry run reports."""
    snippet_id, db, params, expected, schemas = prepared
    before = db.snapshot(schemas)
    dry = ok(run(db, snippet_id, **params))
    reported = {c.table: (c.updated + c.deleted, c.inserted + c.updated) for c in dry.changes}

    pasted = _paste(psql_bin, db, snippet_id, params)
    assert "ERROR" not in pasted.stderr, pasted.stderr
    assert db.snapshot(schemas) == before, "a paste without commit; changed something"

    committed = _paste(psql_bin, db, snippet_id, params, then="commit;\n")
    assert "ERROR" not in committed.stderr, committed.stderr
    assert diff(before, db.snapshot(schemas)) == reported
