"""Row-level security on warehouse.sample (ID3C since 2023-07, policy sample_rls): a user who
lacks a sample's access_role sees no row of it. The snippets that say "no sample" must say that
this can also be missing access, and they must still change nothing.

The snippets run as a plain role (no superuser, not the owner, so the policy applies), chosen
with the libpq `options=-c role=...` of the connection.
"""

from __future__ import annotations

import os
from urllib.parse import quote

import pytest

import scenario as sc
from runbook.snippets import runner
from sqlsnippets import column, ok, refused, snippet


def as_role(url: str, role: str) -> str:
    return url + ("&" if "?" in url else "?") + "options=" + quote(f"-c role={role}")


def run_as(db, role: str, snippet_id: str, **params):
    s = snippet(snippet_id)
    bound = s.bind({k: str(v) for k, v in params.items()})
    return runner.run_snippet(s, bound, dsn=as_role(db.url, role), unaligned=True)


@pytest.fixture
def roles(id3c_db):
    """(reader, study role): reader may read and delete, but is no member of the study role."""
    tag = os.getpid()
    reader, study = f"rb_rls_reader_{tag}", f"rb_rls_cascadia_{tag}"
    for name in (reader, study):
        id3c_db.execute(f'drop role if exists "{name}"')
        id3c_db.execute(f'create role "{name}" nologin')
    id3c_db.execute(f'grant usage on schema receiving, warehouse to "{reader}"')
    id3c_db.execute(f'grant select on all tables in schema receiving, warehouse to "{reader}"')
    id3c_db.execute(f'grant delete on warehouse.presence_absence, warehouse.sample to "{reader}"')
    yield reader, study
    for name in (reader, study):
        id3c_db.execute(f'drop owned by "{name}"')
        id3c_db.execute(f'drop role "{name}"')


def _hidden_sample(db, study: str):
    sc.identifier(db, "samples", "aaaaaaaa")
    sc.identifier(db, "samples", "bbbbbbbb")
    hidden = sc.sample(db, sample_barcode="aaaaaaaa", details={"sample_origin": "cascadia"})
    visible = sc.sample(db, sample_barcode="bbbbbbbb")
    db.execute(f"update warehouse.sample set access_role = '{study}' where sample_id = %s", (hidden,))
    sc.result(db, hidden, "COVID-19", identifier="NWGC/111/COVID-19/chip-1")
    doc = sc.pa_document(db, {"samples": [{
        "investigatorId": "aaaaaaaa", "sampleId": 111, "chip": "chip-1", "isCurrentExpressionResult": True,
        "targetResults": [{"geneTarget": "COVID-19", "targetStatus": "Detected"}]}]})
    return hidden, visible, doc


def test_the_policy_hides_the_sample_from_a_user_without_its_role(id3c_db, roles):
    reader, study = roles
    hidden, visible, _doc = _hidden_sample(id3c_db, study)
    rows = ok(run_as(id3c_db, reader, "find-sample", barcode="aaaaaaaa")).rows()
    assert column(rows, "sample_id") == [None]  # what "no sample" looks like without access
    id3c_db.execute(f'grant "{study}" to "{reader}"')
    rows = ok(run_as(id3c_db, reader, "find-sample", barcode="aaaaaaaa")).rows()
    assert column(rows, "sample_id") == [str(hidden)]


def test_delete_sample_results_says_no_sample_can_be_missing_access(id3c_db, roles):
    reader, study = roles
    _hidden, _visible, doc = _hidden_sample(id3c_db, study)
    before = id3c_db.snapshot()
    err = refused(run_as(id3c_db, reader, "delete-sample-results", barcode="aaaaaaaa", presence_absence_id=doc),
                  "barcode aaaaaaaa", "no sample carries it")
    assert "access role" in err and "row-level security" in err
    assert id3c_db.snapshot() == before
    id3c_db.execute(f'grant "{study}" to "{reader}"')  # with the role, the same run finds it
    out = ok(run_as(id3c_db, reader, "delete-sample-results", barcode="aaaaaaaa", presence_absence_id=doc))
    assert column(out.tables()[1], "identifier") == ["NWGC/111/COVID-19/chip-1"]


def test_duplicate_sample_snippets_say_no_sample_can_be_missing_access(id3c_db, roles):
    reader, study = roles
    hidden, visible, _doc = _hidden_sample(id3c_db, study)
    rows = ok(run_as(id3c_db, reader, "show-duplicate-barcode-samples", sample_ids=f"{hidden},{visible}")).rows()
    problems = {row["sample_id"]: row["problem"] for row in rows}
    assert problems[str(visible)] is None
    assert problems[str(hidden)] == "no such sample (or you lack its access role: row-level security on access_role)"
    before = id3c_db.snapshot()
    err = refused(run_as(id3c_db, reader, "delete-duplicate-barcode-sample", sample_ids=f"{hidden},{visible}"),
                  f"no sample with id {hidden}", "access role")
    assert "row-level security" in err
    assert id3c_db.snapshot() == before


def test_create_samples_creates_nothing_for_a_sample_it_cannot_see(id3c_db, roles):
    """The invisible sample looks missing ("to create"); the unique identifier skips it."""
    reader, study = roles
    _hidden_sample(id3c_db, study)
    id3c_db.execute(f'grant insert on warehouse.sample to "{reader}"')
    before = id3c_db.snapshot()
    out = ok(run_as(id3c_db, reader, "create-samples-from-aliquot-manifest", sample_barcodes="aaaaaaaa"))
    listed, created, images = out.tables()
    assert column(listed, "outcome") == ["to create"] and created == [] and images == []
    assert id3c_db.snapshot() == before
