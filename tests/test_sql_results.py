"""Behaviour of the presence/absence result snippets (snippets/sql/results) on scenario data."""

from __future__ import annotations

import re

import scenario as sc
from runbook.snippets import catalog, runner
from sqlsnippets import column, ok, refused, run, snippet


def well(barcode, lims_id=None, failed=False, current=True, targets=("COVID-19", "RNaseP")):
    return {
        "investigatorId": barcode,
        "sampleId": lims_id if lims_id is not None else sum(map(ord, barcode)),
        "sampleFailed": failed,
        "isCurrentExpressionResult": current,
        "chip": "chip-1",
        "targetResults": [{"geneTarget": t, "targetStatus": "NotDetected"} for t in targets],
    }


# --------------------------------------------------------------------------------------------
# find-plate-documents


def _plate_scenario(db):
    docs = {
        "dash": sc.pa_document(db, {"samples": [well("BAT-049A-NTC"), well("aaaaaaaa")]}),
        "nodash": sc.pa_document(db, {"samples": [well("BAT049A-PC"), well("BAT049A-NTC")]}),
        "other": sc.pa_document(db, {"samples": [well("BAT-050A-NTC")]}),
        "old": sc.pa_document(db, {"store": "old format", "Update": []}),
        "odd": sc.pa_document(db, {"samples": {"not": "an array"}}),
    }
    return docs


def test_find_plate_documents_accepts_both_spellings(id3c_db):
    docs = _plate_scenario(id3c_db)
    for plate in ("BAT049A", "bat-049a", "BAT-049A"):
        rows = ok(run(id3c_db, "find-plate-documents", plate=plate)).rows()
        assert column(rows, "presence_absence_id") == [str(docs["dash"]), str(docs["nodash"])], plate
    rows = ok(run(id3c_db, "find-plate-documents", plate="BAT-049A")).rows()
    assert rows[0]["matching_wells"] == "1" and rows[0]["wells_in_document"] == "2"
    assert rows[1]["investigator_ids"] == "BAT049A-NTC, BAT049A-PC"


def test_documents_are_json_and_the_plate_snippet_needs_json_functions(id3c_db, tmp_path):
    """The fixture keeps `document json` as ID3C does; a jsonb_* rewrite of the snippet breaks."""
    types = dict(id3c_db.execute(
        "select table_name, data_type from information_schema.columns"
        " where table_schema = 'receiving' and column_name = 'document'"
        " and table_name in ('presence_absence', 'manifest')"))
    assert types == {"presence_absence": "json", "manifest": "json"}
    _plate_scenario(id3c_db)
    text = snippet("find-plate-documents").text
    assert "json_to_recordset(" in text and not re.search(r"jsonb_\w+\(|::jsonb", text)
    switched = tmp_path / "find-plate-documents.sql"
    switched.write_text(text.replace("json_to_recordset(", "jsonb_to_recordset(")
                            .replace("json_typeof(", "jsonb_typeof(")
                            .replace("json_array_length(", "jsonb_array_length("))
    out = runner.run_snippet(catalog.load(switched), {"plate": "BAT049A"}, dsn=id3c_db.url, unaligned=True)
    refused(out, "does not exist")


# --------------------------------------------------------------------------------------------
# delete-swapped-plate-results


def _swap_scenario(db):
    sc.identifier(db, "samples", "aaaaaaaa")
    sc.identifier(db, "samples", "bbbbbbbb")
    swapped = sc.sample(db, sample_barcode="aaaaaaaa", details={"nwgc_id": [111, 222]})
    other = sc.sample(db, sample_barcode="bbbbbbbb")
    ids = {
        "old-covid": sc.result(db, swapped, "COVID-19", identifier="NWGC/111/COVID-19/chip-1"),
        "old-rnasep": sc.result(db, swapped, "RNaseP", identifier="NWGC/111/RNaseP"),
        "new-covid": sc.result(db, swapped, "COVID-19", identifier="NWGC/222/COVID-19/chip-2"),
        "prefix-trap": sc.result(db, other, "COVID-19", identifier="NWGC/1110/COVID-19/chip-1"),
        "wildcard-trap": sc.result(db, other, "RNaseP", identifier="NWGC/101/RNaseP/chip-1"),
        "fhir": sc.result(db, other, "Flu_A_pan", identifier="bbbbbbbb/181000124108/OpenArray"),
    }
    return swapped, ids


def test_delete_swapped_plate_results_deletes_only_that_lims_id(id3c_db):
    swapped, ids = _swap_scenario(id3c_db)
    out = ok(run(id3c_db, "delete-swapped-plate-results", commit=True, lims_id="111"))
    rows = out.rows()
    assert column(rows, "identifier") == ["NWGC/111/COVID-19/chip-1", "NWGC/111/RNaseP"]
    assert column(rows, "remaining_results") == ["1", "1"]
    assert [(c.table, c.deleted) for c in out.changes] == [("warehouse.presence_absence", 2)]
    left = {r[0] for r in id3c_db.execute("select presence_absence_id from warehouse.presence_absence")}
    assert left == {ids[k] for k in ("new-covid", "prefix-trap", "wildcard-trap", "fhir")}


def test_delete_swapped_plate_results_treats_underscore_literally_and_refuses_no_match(id3c_db):
    _swap_scenario(id3c_db)
    before = id3c_db.snapshot()
    refused(run(id3c_db, "delete-swapped-plate-results", commit=True, lims_id="1_1"), "lims_id 1_1")
    refused(run(id3c_db, "delete-swapped-plate-results", commit=True, lims_id="333"), "NWGC/333/")
    assert id3c_db.snapshot() == before


# --------------------------------------------------------------------------------------------
# find-sample / find-sample-documents / delete-sample-results / delete-presence-absence-document


def _failed_sample_scenario(db):
    sc.identifier(db, "samples", "aaaaaaaa")
    sc.identifier(db, "collections-scan", "bbbbbbbb")
    sc.identifier(db, "samples", "cccccccc")
    sc.identifier(db, "samples", "dddddddd")  # known, no sample
    failed = sc.sample(db, sample_barcode="aaaaaaaa", collection_barcode="bbbbbbbb", details={"nwgc_id": [111]})
    other = sc.sample(db, sample_barcode="cccccccc")
    results = [sc.result(db, failed, t, identifier=f"NWGC/111/{t}/chip-1") for t in ("COVID-19", "RNaseP")]
    kept = sc.result(db, other, "COVID-19", identifier="NWGC/333/COVID-19/chip-1")
    docs = {
        "first": sc.pa_document(db, {"samples": [well("AAAAAAAA", 111), well("cccccccc", 333)]},
                                received="2021-03-01 10:00+00"),
        "update": sc.pa_document(db, {"samples": [well("aaaaaaaa", 111, failed=True), well("cccccccc", 333)]},
                                 received="2021-03-02 10:00+00"),
        "unrelated": sc.pa_document(db, {"samples": [well("cccccccc", 333)], "comment": "not aaaaaaaa"},
                                    received="2021-03-03 10:00+00"),
        "old": sc.pa_document(db, {"store": "x"}),
    }
    return failed, other, results, kept, docs


def test_find_sample_by_sample_or_collection_barcode(id3c_db):
    failed, *_ = _failed_sample_scenario(id3c_db)
    for barcode, matched_as in (("aaaaaaaa", "sample barcode"), ("BBBBBBBB", "collection barcode")):
        [row] = ok(run(id3c_db, "find-sample", barcode=barcode)).rows()
        assert (row["sample_id"], row["matched_as"], row["results"]) == (str(failed), matched_as, "2")
        assert (row["sample_barcode"], row["collection_barcode"]) == ("aaaaaaaa", "bbbbbbbb")
        assert row["lims_ids"] == "[111]"


def test_find_sample_says_when_the_barcode_is_unknown_or_has_no_sample(id3c_db):
    _failed_sample_scenario(id3c_db)
    [row] = ok(run(id3c_db, "find-sample", barcode="dddddddd")).rows()
    assert (row["identifier_set"], row["sample_id"]) == ("samples", None)
    [row] = ok(run(id3c_db, "find-sample", barcode="eeeeeeee")).rows()
    assert (row["identifier_set"], row["sample_id"]) == (None, None)


def test_find_sample_documents_lists_both_documents_oldest_first(id3c_db):
    _failed, _other, _results, _kept, docs = _failed_sample_scenario(id3c_db)
    for barcode in ("aaaaaaaa", "bbbbbbbb"):
        rows = ok(run(id3c_db, "find-sample-documents", barcode=barcode)).rows()
        assert column(rows, "presence_absence_id") == [str(docs["first"]), str(docs["update"])]
        assert column(rows, "sample_failed") == ["false", "true"]
        assert column(rows, "lims_id") == ["111", "111"]
        assert column(rows, "targets") == ["2", "2"]


def test_delete_sample_results_deletes_that_samples_rows_only(id3c_db):
    failed, _other, results, kept, _docs = _failed_sample_scenario(id3c_db)
    out = ok(run(id3c_db, "delete-sample-results", commit=True, barcode="bbbbbbbb"))
    assert sorted(int(i) for i in column(out.rows(), "presence_absence_id")) == sorted(results)
    assert out.total == 2
    assert [r[0] for r in id3c_db.execute("select presence_absence_id from warehouse.presence_absence")] == [kept]
    assert id3c_db.execute("select count(*) from warehouse.sample")[0][0] == 2


def test_delete_sample_results_refuses_unknown_barcode_no_sample_or_two_samples(id3c_db):
    failed, other, *_ = _failed_sample_scenario(id3c_db)
    refused(run(id3c_db, "delete-sample-results", barcode="eeeeeeee"), "barcode eeeeeeee", "unknown")
    refused(run(id3c_db, "delete-sample-results", barcode="dddddddd"), "barcode dddddddd", "no sample")
    # a barcode carried by two samples (sample identifier of one, collection identifier of another)
    id3c_db.execute("update warehouse.sample set collection_identifier = %s where sample_id = %s",
                    (sc.uuid_of(id3c_db, "aaaaaaaa"), other))
    before = id3c_db.snapshot()
    refused(run(id3c_db, "delete-sample-results", commit=True, barcode="aaaaaaaa"), "2 samples carry it")
    assert id3c_db.snapshot() == before


def test_delete_presence_absence_document_deletes_only_it(id3c_db):
    *_, docs = _failed_sample_scenario(id3c_db)
    out = ok(run(id3c_db, "delete-presence-absence-document", commit=True, presence_absence_id=docs["first"]))
    [row] = out.rows()
    assert (row["presence_absence_id"], row["wells"]) == (str(docs["first"]), "2")
    left = {r[0] for r in id3c_db.execute("select presence_absence_id from receiving.presence_absence")}
    assert left == {docs["update"], docs["unrelated"], docs["old"]}
    refused(run(id3c_db, "delete-presence-absence-document", presence_absence_id=docs["first"]),
            f"presence_absence_id {docs['first']}")


# --------------------------------------------------------------------------------------------
# find-never-tested-results / delete-never-tested-results


def _never_tested_scenario(db):
    sc.identifier(db, "samples", "aaaaaaaa")
    sc.identifier(db, "samples", "bbbbbbbb")
    never = sc.sample(db, sample_barcode="aaaaaaaa", details={"note": "never-tested", "nwgc_id": [5]})
    normal = sc.sample(db, sample_barcode="bbbbbbbb")
    ids = {
        "taqman": sc.result(db, never, "COVID-19", details={"device": "TaqmanQPCR", "assay_type": "Clia"}),
        "openarray": sc.result(db, never, "Flu_A_pan", details={"device": "OpenArray"}),
        "no-device": sc.result(db, never, "RSVA", details={"replicates": []}),
        "normal": sc.result(db, normal, "COVID-19", details={"device": "TaqmanQPCR"}),
    }
    return ids


def test_find_never_tested_results_lists_non_openarray_results(id3c_db):
    ids = _never_tested_scenario(id3c_db)
    rows = ok(run(id3c_db, "find-never-tested-results")).rows()
    assert [(r["presence_absence_id"], r["device"], r["sample_barcode"]) for r in rows] == [
        (str(ids["taqman"]), "TaqmanQPCR", "aaaaaaaa")]


def test_delete_never_tested_results_deletes_what_find_lists(id3c_db):
    ids = _never_tested_scenario(id3c_db)
    out = ok(run(id3c_db, "delete-never-tested-results", commit=True, expect=1))
    assert out.committed and column(out.rows(), "presence_absence_id") == [str(ids["taqman"])]
    left = {r[0] for r in id3c_db.execute("select presence_absence_id from warehouse.presence_absence")}
    assert left == {ids["openarray"], ids["no-device"], ids["normal"]}
    assert ok(run(id3c_db, "find-never-tested-results")).rows() == []
