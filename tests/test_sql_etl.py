"""Behaviour of the ETL snippets (snippets/sql/etl) on scenario data, run through the runner."""

from __future__ import annotations

import json

import scenario as sc
from sqlsnippets import column, diff, ok, refused, run

PA_SELECTION = "select presence_absence_id from receiving.presence_absence where not processing_log @> '[{\"revision\": 8}]'"


# --------------------------------------------------------------------------------------------
# mark-presence-absence-skipped


def test_mark_presence_absence_skipped_appends_the_current_revision_so_the_etl_no_longer_picks_the_row(id3c_db):
    earlier = {"revision": 5, "timestamp": "2020-01-01T00:00:00+00:00"}
    group = sc.pa_document(id3c_db, {"samples": []}, processing_log=[earlier])
    other = sc.pa_document(id3c_db, {"samples": []})
    assert {r[0] for r in id3c_db.execute(PA_SELECTION)} == {group, other}

    out = ok(run(id3c_db, "mark-presence-absence-skipped", commit=True, presence_absence_id=group))

    assert out.committed and out.total == 1
    assert [(c.table, c.updated) for c in out.changes] == [("receiving.presence_absence", 1)]
    assert {r[0] for r in id3c_db.execute(PA_SELECTION)} == {other}
    log = id3c_db.execute(
        "select processing_log from receiving.presence_absence where presence_absence_id = %s", (group,)
    )[0][0]
    assert log[0] == earlier, "earlier log entries are kept"
    assert log[1]["status"] == "manually skipped"
    assert log[1]["revision"] == 8 and isinstance(log[1]["revision"], int)
    assert str(group) in out.output


def test_mark_presence_absence_skipped_twice_changes_nothing_the_second_time(id3c_db):
    group = sc.pa_document(id3c_db, {"samples": []})
    ok(run(id3c_db, "mark-presence-absence-skipped", commit=True, presence_absence_id=group))
    again = ok(run(id3c_db, "mark-presence-absence-skipped", commit=True, presence_absence_id=group))
    assert again.total == 0


def test_mark_presence_absence_skipped_refuses_the_guides_stale_revision(id3c_db):
    sc.pa_document(id3c_db, {"samples": []}, processing_log=[{"revision": 8, "timestamp": "x"}])
    group = sc.pa_document(id3c_db, {"samples": []})
    before = id3c_db.snapshot()
    out = run(id3c_db, "mark-presence-absence-skipped", commit=True, presence_absence_id=group, revision=5)
    refused(out, "revision 5", "revision 8")
    assert id3c_db.snapshot() == before


def test_mark_presence_absence_skipped_refuses_an_unknown_group(id3c_db):
    out = run(id3c_db, "mark-presence-absence-skipped", commit=True, presence_absence_id=99999)
    refused(out, "presence_absence_id 99999")


# --------------------------------------------------------------------------------------------
# create-samples-from-aliquot-manifest and show-identifier


def _aliquot_scenario(db):
    sc.identifier(db, "samples", "aaaaaaaa")
    sc.identifier(db, "samples", "bbbbbbbb")
    sc.identifier(db, "collections-scan", "cccccccc")
    existing = sc.sample(db, sample_barcode="bbbbbbbb")
    return existing


def test_create_samples_from_aliquot_manifest_creates_only_unknown_samples_of_the_samples_set(id3c_db):
    existing = _aliquot_scenario(id3c_db)
    out = ok(run(id3c_db, "create-samples-from-aliquot-manifest", commit=True,
                 sample_barcodes="AAAAAAAA, bbbbbbbb,cccccccc,dddddddd"))
    report, created, images = out.tables()
    outcome = {row["barcode"]: row["outcome"] for row in report}
    assert images == [{"relation": "warehouse.sample", "op": "insert", "before": None}]
    assert outcome == {
        "aaaaaaaa": "to create",
        "bbbbbbbb": "left alone: a sample has it",
        "cccccccc": "skipped: not in set samples",
        "dddddddd": "skipped: unknown barcode",
    }
    assert column(created, "barcode") == ["aaaaaaaa"]
    assert out.total == 1
    rows = id3c_db.execute(
        "select sample.sample_id, identifier.barcode::text, sample.collection_identifier, sample.encounter_id"
        " from warehouse.sample join warehouse.identifier on sample.identifier = identifier.uuid::text"
        " order by 2"
    )
    assert [(r[1], r[2], r[3]) for r in rows] == [("aaaaaaaa", None, None), ("bbbbbbbb", None, None)]
    assert rows[1][0] == existing


def test_create_samples_from_aliquot_manifest_twice_changes_nothing(id3c_db):
    _aliquot_scenario(id3c_db)
    ok(run(id3c_db, "create-samples-from-aliquot-manifest", commit=True, sample_barcodes="aaaaaaaa"))
    before = id3c_db.snapshot()
    again = ok(run(id3c_db, "create-samples-from-aliquot-manifest", commit=True, sample_barcodes="aaaaaaaa"))
    assert again.total == 0
    assert id3c_db.snapshot() == before


def test_show_identifier_names_barcode_set_and_sample(id3c_db):
    uuid, _ = sc.identifier(id3c_db, "samples", "aaaaaaaa")
    sc.identifier(id3c_db, "collections-scan", "cccccccc")
    sample_id = sc.sample(id3c_db, sample_barcode="aaaaaaaa", collection_barcode="cccccccc")
    [row] = ok(run(id3c_db, "show-identifier", identifier=uuid)).rows()
    assert (row["barcode"], row["identifier_set"], row["sample_id"], row["carried_as"]) == (
        "aaaaaaaa", "samples", str(sample_id), "sample identifier")

    collection_uuid = sc.uuid_of(id3c_db, "cccccccc")
    [row] = ok(run(id3c_db, "show-identifier", identifier=collection_uuid)).rows()
    assert (row["barcode"], row["carried_as"]) == ("cccccccc", "collection identifier")


def test_show_identifier_of_an_unknown_uuid_says_so(id3c_db):
    sc.identifier(id3c_db, "samples", "aaaaaaaa")
    [row] = ok(run(id3c_db, "show-identifier", identifier="00000000-0000-4000-8000-000000000000")).rows()
    assert row["barcode"] is None and row["sample_id"] is None


# --------------------------------------------------------------------------------------------
# find-incomplete-manifest-samples / delete-incomplete-manifest-samples

DATES = {"date_before_error": "2020-06-01", "date_of_error": "2020-06-02"}


def _manifest_scenario(db):
    """Samples created from incomplete manifest records, as the guide's Exception describes."""
    codes = ("aaaaaaaa", "bbbbbbbb", "cccccccc", "dddddddd", "eeeeeeee")
    for code in codes:
        sc.identifier(db, "samples", code)
    ids = {code: sc.sample(db, sample_barcode=code) for code in codes}
    sc.result(db, ids["bbbbbbbb"])  # has a result: kept for review

    def created(code, status="created"):
        return [{"etl": "manifest", "status": status, "sample_id": ids[code], "revision": 1,
                 "timestamp": "2020-06-01T12:00:00-07:00"},
                {"etl": "kit", "status": "skipped", "kit_id": 77, "revision": 1}]

    # eeeeeeee existed before the bad manifest: its incomplete record only updated it
    sc.manifest_document(db, {"sample": "eeeeeeee"}, created("eeeeeeee", "updated"), received="2020-06-01 11:00-07")
    sc.manifest_document(db, {"sample": "EEEEEEEE", "collection": "44444444"}, received="2020-06-02 09:00-07")

    # incomplete records (no collection) from the day before, each followed by a complete one
    sc.manifest_document(db, {"sample": "AAAAAAAA"}, created("aaaaaaaa"), received="2020-06-01 12:00-07")
    sc.manifest_document(db, {"sample": "aaaaaaaa", "collection": "11111111"}, received="2020-06-02 09:00-07")
    sc.manifest_document(db, {"sample": "bbbbbbbb"}, created("bbbbbbbb"), received="2020-06-01 13:00-07")
    sc.manifest_document(db, {"sample": "bbbbbbbb", "collection": "22222222"}, received="2020-06-02 09:00-07")
    # no complete record: not affected
    sc.manifest_document(db, {"sample": "cccccccc"}, created("cccccccc"), received="2020-06-01 14:00-07")
    # complete record late on the 2nd in Seattle, which is already the 3rd in UTC
    sc.manifest_document(db, {"sample": "dddddddd"}, created("dddddddd"), received="2020-06-01 15:00-07")
    sc.manifest_document(db, {"sample": "dddddddd", "collection": "33333333"}, received="2020-06-02 22:00-07")
    return ids


def test_find_incomplete_manifest_samples_uses_pacific_days_by_default(id3c_db):
    ids = _manifest_scenario(id3c_db)
    rows = ok(run(id3c_db, "find-incomplete-manifest-samples", **DATES)).rows()
    assert column(rows, "sample_id") == [str(ids[c]) for c in ("aaaaaaaa", "bbbbbbbb", "dddddddd")]
    assert column(rows, "results") == ["0", "1", "0"]

    utc = ok(run(id3c_db, "find-incomplete-manifest-samples", timezone="UTC", **DATES)).rows()
    assert column(utc, "sample_id") == [str(ids[c]) for c in ("aaaaaaaa", "bbbbbbbb")]


def test_delete_incomplete_manifest_samples_keeps_those_with_results_for_review(id3c_db):
    ids = _manifest_scenario(id3c_db)
    out = ok(run(id3c_db, "delete-incomplete-manifest-samples", commit=True, **DATES))
    _params, rows, undo = out.tables()
    actions = {row["sample_id"]: row["action"] for row in rows}
    assert actions == {
        str(ids["aaaaaaaa"]): "delete",
        str(ids["dddddddd"]): "delete",
        str(ids["bbbbbbbb"]): "kept for review: has results",
    }
    assert [(c.table, c.deleted) for c in out.changes] == [("warehouse.sample", 2)]
    assert sorted(json.loads(r["before"])["sample_id"] for r in undo) == sorted([ids["aaaaaaaa"], ids["dddddddd"]])
    left = {r[0] for r in id3c_db.execute("select sample_id from warehouse.sample")}
    assert left == {ids["bbbbbbbb"], ids["cccccccc"], ids["eeeeeeee"]}


def test_incomplete_manifest_samples_only_those_the_record_created(id3c_db):
    """A sample whose incomplete record's log says "updated" existed before: never taken."""
    ids = _manifest_scenario(id3c_db)
    found = column(ok(run(id3c_db, "find-incomplete-manifest-samples", **DATES)).rows(), "sample_id")
    assert str(ids["eeeeeeee"]) not in found
    out = ok(run(id3c_db, "delete-incomplete-manifest-samples", commit=True, **DATES))
    assert str(ids["eeeeeeee"]) not in column(out.tables()[1], "sample_id")
    assert id3c_db.execute("select count(*) from warehouse.sample where sample_id = %s", (ids["eeeeeeee"],)) == [(1,)]


def test_delete_incomplete_manifest_samples_refuses_reversed_dates(id3c_db):
    _manifest_scenario(id3c_db)
    out = run(id3c_db, "delete-incomplete-manifest-samples",
              date_before_error="2020-06-03", date_of_error="2020-06-02")
    refused(out, "date_before_error 2020-06-03", "date_of_error 2020-06-02")


# --------------------------------------------------------------------------------------------
# show-duplicate-barcode-samples / delete-duplicate-barcode-sample


def _duplicate_scenario(db, results_on=("kept",)):
    sc.identifier(db, "samples", "aaaaaaaa")
    sc.identifier(db, "collections-scan", "bbbbbbbb")
    sc.identifier(db, "collections-scan", "cccccccc")
    encounter = sc.encounter(db, identifier="encounter-416344")
    kept = sc.sample(db, sample_barcode="aaaaaaaa", collection_barcode="bbbbbbbb", encounter_id=encounter)
    duplicate = sc.sample(db, collection_barcode="cccccccc", encounter_id=encounter)
    if "kept" in results_on:
        sc.result(db, kept, target="COVID-19")
        sc.result(db, kept, target="RNaseP")
    if "duplicate" in results_on:
        sc.result(db, duplicate)
    return kept, duplicate


def test_show_duplicate_barcode_samples_shows_encounters_and_result_counts(id3c_db):
    kept, duplicate = _duplicate_scenario(id3c_db)
    rows = ok(run(id3c_db, "show-duplicate-barcode-samples", sample_ids=f"{kept},{duplicate},999999")).rows()
    by_id = {row["sample_id"]: row for row in rows}
    assert by_id[str(kept)]["results"] == "2" and by_id[str(duplicate)]["results"] == "0"
    assert by_id[str(kept)]["encounter"] == by_id[str(duplicate)]["encounter"] == "encounter-416344"
    assert by_id[str(kept)]["sample_barcode"] == "aaaaaaaa"
    assert by_id[str(duplicate)]["collection_barcode"] == "cccccccc"
    assert by_id["999999"]["problem"].startswith("no such sample (or you lack its access role")


def test_delete_duplicate_barcode_sample_deletes_the_one_without_results(id3c_db):
    kept, duplicate = _duplicate_scenario(id3c_db)
    out = ok(run(id3c_db, "delete-duplicate-barcode-sample", commit=True, sample_ids=f"{kept},{duplicate}"))
    assert column(out.rows(), "sample_id") == [str(duplicate)]
    assert [r[0] for r in id3c_db.execute("select sample_id from warehouse.sample")] == [kept]
    assert id3c_db.execute("select count(*) from warehouse.presence_absence")[0][0] == 2


def test_delete_duplicate_barcode_sample_refuses_when_both_have_results(id3c_db):
    kept, duplicate = _duplicate_scenario(id3c_db, results_on=("kept", "duplicate"))
    before = id3c_db.snapshot()
    out = run(id3c_db, "delete-duplicate-barcode-sample", commit=True, sample_ids=f"{kept},{duplicate}")
    refused(out, "sample_ids", "every sample has presence/absence results", f"{min(kept, duplicate)}")
    assert id3c_db.snapshot() == before


def test_delete_duplicate_barcode_sample_refuses_when_neither_has_results(id3c_db):
    kept, duplicate = _duplicate_scenario(id3c_db, results_on=())
    out = run(id3c_db, "delete-duplicate-barcode-sample", commit=True, sample_ids=f"{kept},{duplicate}")
    refused(out, "no sample has presence/absence results")


def test_delete_duplicate_barcode_sample_refuses_unknown_ids_and_a_single_id(id3c_db):
    kept, _ = _duplicate_scenario(id3c_db)
    refused(run(id3c_db, "delete-duplicate-barcode-sample", sample_ids=f"{kept},424242"), "no sample with id 424242")
    refused(run(id3c_db, "delete-duplicate-barcode-sample", sample_ids=f"{kept}"), "at least two")


# --------------------------------------------------------------------------------------------
# delete-manifest-records


def test_delete_manifest_records_shows_then_deletes_only_those_barcodes(id3c_db):
    a1 = sc.manifest_document(id3c_db, {"sample": "AAAAAAAA", "collection": "11111111"})
    a2 = sc.manifest_document(id3c_db, {"sample": "aaaaaaaa"})
    b = sc.manifest_document(id3c_db, {"sample": "bbbbbbbb"})
    c = sc.manifest_document(id3c_db, {"sample": "cccccccc"})
    out = ok(run(id3c_db, "delete-manifest-records", commit=True, barcodes="aaaaaaaa,BBBBBBBB"))
    _params, shown, undo = out.tables()
    assert column(shown, "manifest_id") == [str(a1), str(a2), str(b)]
    assert column(shown, "action") == ["delete"] * 3
    assert '"collection": "11111111"' in shown[0]["document"]
    assert sorted(json.loads(r["before"])["manifest_id"] for r in undo) == sorted([a1, a2, b])
    assert f"aaaaaaaa (manifest_ids {a1},{a2})" in out.stderr  # the notice: more than one record
    assert [r[0] for r in id3c_db.execute("select manifest_id from receiving.manifest")] == [c]


def test_delete_manifest_records_narrowed_by_manifest_id_keeps_the_corrected_record(id3c_db):
    """The sample barcode also matches the later record carrying the corrected collection."""
    bad = sc.manifest_document(id3c_db, {"sample": "aaaaaaaa", "collection": "cccccccc"})
    corrected = sc.manifest_document(id3c_db, {"sample": "aaaaaaaa", "collection": "dddddddd"})
    other = sc.manifest_document(id3c_db, {"sample": "bbbbbbbb"})
    out = ok(run(id3c_db, "delete-manifest-records", commit=True, barcodes="aaaaaaaa", manifest_ids=str(bad)))
    _params, shown, undo = out.tables()
    assert [(r["manifest_id"], r["action"]) for r in shown] == [
        (str(bad), "delete"), (str(corrected), "keep (not in manifest_ids)")]
    assert [(c.table, c.deleted) for c in out.changes] == [("receiving.manifest", 1)]
    assert [json.loads(r["before"])["manifest_id"] for r in undo] == [bad]
    left = {r[0] for r in id3c_db.execute("select manifest_id from receiving.manifest")}
    assert left == {corrected, other}


def test_delete_manifest_records_refuses_a_manifest_id_of_another_barcode(id3c_db):
    sc.manifest_document(id3c_db, {"sample": "aaaaaaaa"})
    other = sc.manifest_document(id3c_db, {"sample": "bbbbbbbb"})
    before = id3c_db.snapshot()
    out = run(id3c_db, "delete-manifest-records", commit=True, barcodes="aaaaaaaa", manifest_ids=f"{other},999")
    refused(out, "manifest_ids", f"{other}, 999", "not among the records of barcodes aaaaaaaa")
    assert id3c_db.snapshot() == before


def test_delete_manifest_records_by_collection_barcode(id3c_db):
    """A collection from a set we must not ingest (collections-clia-compliance)."""
    clia = sc.manifest_document(id3c_db, {"sample": "aaaaaaaa", "collection": "DDDDDDDD"})
    kept = sc.manifest_document(id3c_db, {"sample": "bbbbbbbb", "collection": "eeeeeeee"})
    out = ok(run(id3c_db, "delete-manifest-records", commit=True, barcodes="dddddddd"))
    assert column(out.tables()[1], "manifest_id") == [str(clia)]
    assert [r[0] for r in id3c_db.execute("select manifest_id from receiving.manifest")] == [kept]


def test_delete_manifest_records_refuses_a_barcode_without_documents(id3c_db):
    sc.manifest_document(id3c_db, {"sample": "aaaaaaaa"})
    before = id3c_db.snapshot()
    out = run(id3c_db, "delete-manifest-records", commit=True, barcodes="aaaaaaaa,dddddddd")
    refused(out, "barcodes", "dddddddd")
    assert id3c_db.snapshot() == before


# --------------------------------------------------------------------------------------------
# find-closest-barcodes


def _known_barcodes(db):
    sc.identifier(db, "samples", "aaaaaaaa")
    sc.identifier(db, "collections-scan", "12345678")
    sc.identifier(db, "collections-kiosks", "bbbbbbbb")


def _closest(db, barcode):
    return [(r["barcode"], r["identifier_set"], r["distance"], r["difference"])
            for r in ok(run(db, "find-closest-barcodes", barcode=barcode)).rows()]


def test_find_closest_barcodes_one_substitution(id3c_db):
    _known_barcodes(id3c_db)
    assert _closest(id3c_db, "aaaaaaab") == [("aaaaaaaa", "samples", "1", "1 substitution")]


def test_find_closest_barcodes_transposition_counts_as_one(id3c_db):
    _known_barcodes(id3c_db)
    assert _closest(id3c_db, "12345687") == [
        ("12345678", "collections-scan", "1", "characters 7 and 8 swapped")]


def test_find_closest_barcodes_swap_plus_substitution_is_two(id3c_db):
    _known_barcodes(id3c_db)
    # Hamming distance 3 from 12345678, but one swap (1-2) and one substitution away.
    assert _closest(id3c_db, "21345679") == [
        ("12345678", "collections-scan", "2", "1 substitution, characters 1 and 2 swapped")]


def test_find_closest_barcodes_two_substitutions_and_nothing_further(id3c_db):
    _known_barcodes(id3c_db)
    assert _closest(id3c_db, "12345699") == [("12345678", "collections-scan", "2", "2 substitutions")]
    assert _closest(id3c_db, "12349999") == []
    assert _closest(id3c_db, "ffffffff") == []


def test_find_closest_barcodes_exact_and_case_insensitive(id3c_db):
    _known_barcodes(id3c_db)
    assert _closest(id3c_db, "BBBBBBBB") == [
        ("bbbbbbbb", "collections-kiosks", "0", "exact match: the barcode is known")]


def test_read_snippets_change_nothing(id3c_db):
    _manifest_scenario(id3c_db)
    before = id3c_db.snapshot()
    for snippet_id, params in [
        ("find-incomplete-manifest-samples", DATES),
        ("find-closest-barcodes", {"barcode": "aaaaaaab"}),
        ("show-duplicate-barcode-samples", {"sample_ids": "1,2"}),
        ("show-identifier", {"identifier": sc.uuid_of(id3c_db, "aaaaaaaa")}),
    ]:
        out = ok(run(id3c_db, snippet_id, **params))
        assert out.changes == [] and not out.committed
    assert diff(before, id3c_db.snapshot()) == {}
