"""Behaviour of the presence/absence result snippets (snippets/sql/results) on scenario data."""

from __future__ import annotations

import json
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
    failed = sc.sample(db, sample_barcode="aaaaaaaa", collection_barcode="bbbbbbbb", details={"nwgc_id": [111, 444]})
    other = sc.sample(db, sample_barcode="cccccccc")
    # what the ETL loaded from the first, incorrect document (LIMS id 111 on chip-1) ...
    results = [sc.result(db, failed, t, identifier=f"NWGC/111/{t}/chip-1") for t in ("COVID-19", "RNaseP")]
    # ... and a valid result of the same sample from another run (LIMS id 444)
    rerun = sc.result(db, failed, "COVID-19", identifier="NWGC/444/COVID-19/chip-7")
    kept = sc.result(db, other, "COVID-19", identifier="NWGC/333/COVID-19/chip-1")
    docs = {
        "first": sc.pa_document(db, {"samples": [well("AAAAAAAA", 111), well("cccccccc", 333)]},
                                received="2021-03-01 10:00+00"),
        "update": sc.pa_document(db, {"samples": [well("aaaaaaaa", 111, failed=True), well("cccccccc", 333)]},
                                 received="2021-03-02 10:00+00"),
        "unrelated": sc.pa_document(db, {"samples": [well("cccccccc", 333)], "comment": "not aaaaaaaa"},
                                    received="2021-03-03 10:00+00"),
        "old": sc.pa_document(db, {"store": "x"}),
        "rerun": sc.pa_document(db, {"samples": [dict(well("aaaaaaaa", 444, targets=("COVID-19",)), chip="chip-7")]},
                                received="2021-03-04 10:00+00"),
    }
    return failed, other, results + [rerun], kept, docs


def test_find_sample_by_sample_or_collection_barcode(id3c_db):
    failed, *_ = _failed_sample_scenario(id3c_db)
    for barcode, matched_as in (("aaaaaaaa", "sample barcode"), ("BBBBBBBB", "collection barcode")):
        [row] = ok(run(id3c_db, "find-sample", barcode=barcode)).rows()
        assert (row["sample_id"], row["matched_as"], row["results"]) == (str(failed), matched_as, "3")
        assert (row["sample_barcode"], row["collection_barcode"]) == ("aaaaaaaa", "bbbbbbbb")
        assert row["lims_ids"] == "[111, 444]"


def test_find_sample_says_when_the_barcode_is_unknown_or_has_no_sample(id3c_db):
    _failed_sample_scenario(id3c_db)
    [row] = ok(run(id3c_db, "find-sample", barcode="dddddddd")).rows()
    assert (row["identifier_set"], row["sample_id"]) == ("samples", None)
    [row] = ok(run(id3c_db, "find-sample", barcode="eeeeeeee")).rows()
    assert (row["identifier_set"], row["sample_id"]) == (None, None)


def test_find_sample_documents_lists_every_document_of_the_sample_oldest_first(id3c_db):
    _failed, _other, _results, _kept, docs = _failed_sample_scenario(id3c_db)
    for barcode in ("aaaaaaaa", "bbbbbbbb"):
        rows = ok(run(id3c_db, "find-sample-documents", barcode=barcode)).rows()
        assert column(rows, "presence_absence_id") == [str(docs[k]) for k in ("first", "update", "rerun")]
        assert column(rows, "sample_failed") == ["false", "true", "false"]
        assert column(rows, "lims_id") == ["111", "111", "444"]
        assert column(rows, "targets") == ["2", "2", "1"]


def test_delete_sample_results_deletes_only_what_the_incorrect_document_loaded(id3c_db):
    """The sample also has a valid result from another run (LIMS id 444): it survives."""
    failed, _other, results, kept, docs = _failed_sample_scenario(id3c_db)
    wrong, rerun = results[:2], results[2]
    out = ok(run(id3c_db, "delete-sample-results", commit=True, barcode="bbbbbbbb",
                 presence_absence_id=docs["first"]))
    _params, shown, undo = out.tables()
    assert column(shown, "identifier") == ["NWGC/111/COVID-19/chip-1", "NWGC/111/RNaseP/chip-1"]
    assert column(shown, "target") == ["COVID-19", "RNaseP"]
    assert sorted(int(i) for i in column(shown, "presence_absence_id")) == sorted(wrong)
    assert [(c.table, c.deleted) for c in out.changes] == [("warehouse.presence_absence", 2)]
    assert column(undo, "relation") == ["warehouse.presence_absence"] * 2
    assert {json.loads(r["before"])["identifier"] for r in undo} == set(column(shown, "identifier"))
    assert "2 result(s) to delete (one per target)" in out.stderr
    left = {r[0] for r in id3c_db.execute("select presence_absence_id from warehouse.presence_absence")}
    assert left == {rerun, kept}
    assert id3c_db.execute("select count(*) from warehouse.sample")[0][0] == 2


def test_delete_sample_results_names_results_without_a_chip_as_the_etl_does(id3c_db):
    sc.identifier(id3c_db, "samples", "aaaaaaaa")
    sample = sc.sample(id3c_db, sample_barcode="aaaaaaaa")
    taqman = sc.result(id3c_db, sample, "COVID-19", identifier="NWGC/555/COVID-19")
    on_chip = sc.result(id3c_db, sample, "COVID-19", identifier="NWGC/555/COVID-19/chip-1")
    doc = sc.pa_document(id3c_db, {"samples": [dict(well("aaaaaaaa", 555, targets=("COVID-19",)), chip=None)]})
    out = ok(run(id3c_db, "delete-sample-results", commit=True, barcode="aaaaaaaa", presence_absence_id=doc))
    assert column(out.tables()[1], "identifier") == ["NWGC/555/COVID-19"]
    left = {r[0] for r in id3c_db.execute("select presence_absence_id from warehouse.presence_absence")}
    assert left == {on_chip} and taqman not in left


def test_delete_sample_results_refuses_an_empty_scope(id3c_db):
    failed, other, _results, _kept, docs = _failed_sample_scenario(id3c_db)
    before = id3c_db.snapshot()
    # the re-pushed document marks the sample failed: it loaded nothing for it
    refused(run(id3c_db, "delete-sample-results", commit=True, barcode="aaaaaaaa",
                presence_absence_id=docs["update"]), f"presence_absence_id {docs['update']}", "loaded no result")
    # a document without the sample, and one that does not exist
    refused(run(id3c_db, "delete-sample-results", commit=True, barcode="aaaaaaaa",
                presence_absence_id=docs["unrelated"]), "loaded no result for barcode aaaaaaaa")
    refused(run(id3c_db, "delete-sample-results", commit=True, barcode="aaaaaaaa", presence_absence_id=987654),
            "presence_absence_id 987654", "no such document")
    assert id3c_db.snapshot() == before
    # already deleted: the document's results are no longer there
    id3c_db.execute("delete from warehouse.presence_absence where identifier like 'NWGC/111/%'")
    refused(run(id3c_db, "delete-sample-results", barcode="aaaaaaaa", presence_absence_id=docs["first"]),
            "none of its results", "already deleted")


def test_delete_sample_results_refuses_when_a_later_document_loaded_the_same_results(id3c_db):
    """A corrected re-run under the same LIMS id and chip overwrote the rows: ambiguous."""
    _failed, _other, _results, _kept, docs = _failed_sample_scenario(id3c_db)
    corrected = sc.pa_document(id3c_db, {"samples": [well("aaaaaaaa", 111, targets=("RNaseP",))]},
                               received="2021-03-05 10:00+00")
    before = id3c_db.snapshot()
    err = refused(run(id3c_db, "delete-sample-results", commit=True, barcode="aaaaaaaa",
                      presence_absence_id=docs["first"]), "ambiguous")
    assert f"NWGC/111/RNaseP/chip-1 (document {corrected})" in err
    assert id3c_db.snapshot() == before


def test_delete_sample_results_refuses_results_of_another_sample(id3c_db):
    failed, other, *_ = _failed_sample_scenario(id3c_db)
    id3c_db.execute("update warehouse.presence_absence set sample_id = %s"
                    " where identifier = 'NWGC/111/RNaseP/chip-1'", (other,))
    doc = id3c_db.execute("select min(presence_absence_id) from receiving.presence_absence")[0][0]
    refused(run(id3c_db, "delete-sample-results", barcode="aaaaaaaa", presence_absence_id=doc),
            f"NWGC/111/RNaseP/chip-1 (sample {other})", "another sample")


def test_delete_sample_results_refuses_unknown_barcode_no_sample_or_two_samples(id3c_db):
    failed, other, *_, docs = _failed_sample_scenario(id3c_db)
    first = docs["first"]
    refused(run(id3c_db, "delete-sample-results", barcode="eeeeeeee", presence_absence_id=first),
            "barcode eeeeeeee", "unknown")
    refused(run(id3c_db, "delete-sample-results", barcode="dddddddd", presence_absence_id=first),
            "barcode dddddddd", "no sample", "access role")
    # a barcode carried by two samples (sample identifier of one, collection identifier of another)
    id3c_db.execute("update warehouse.sample set collection_identifier = %s where sample_id = %s",
                    (sc.uuid_of(id3c_db, "aaaaaaaa"), other))
    before = id3c_db.snapshot()
    refused(run(id3c_db, "delete-sample-results", commit=True, barcode="aaaaaaaa", presence_absence_id=first),
            "2 samples carry it")
    assert id3c_db.snapshot() == before


def test_delete_presence_absence_document_deletes_only_it(id3c_db):
    *_, docs = _failed_sample_scenario(id3c_db)
    out = ok(run(id3c_db, "delete-presence-absence-document", commit=True, presence_absence_id=docs["first"]))
    [row] = out.rows()
    assert (row["presence_absence_id"], row["wells"]) == (str(docs["first"]), "2")
    left = {r[0] for r in id3c_db.execute("select presence_absence_id from receiving.presence_absence")}
    assert left == {docs["update"], docs["unrelated"], docs["old"], docs["rerun"]}
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
