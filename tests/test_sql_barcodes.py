"""Behaviour of the barcode collection set snippets (snippets/sql/barcodes)."""

from __future__ import annotations

import scenario as sc
from sqlsnippets import column, ok, refused, run

MOVE = {"from_set": "collections-kiosks-asymptomatic", "to_set": "collections-scan-kiosks"}


def _labels_scenario(db):
    for code in ("aaaaaaaa", "bbbbbbbb", "cccccccc"):
        sc.identifier(db, "collections-kiosks-asymptomatic", code)
    sc.identifier(db, "collections-kiosks-asymptomatic", "dddddddd")  # same set, not affected
    sc.identifier(db, "collections-kiosks", "eeeeeeee")
    sc.identifier(db, "samples", "ffffffff")


def _sets(db):
    return dict(db.execute(
        "select barcode::text, name from warehouse.identifier join warehouse.identifier_set"
        " using (identifier_set_id)"))


def test_show_barcode_sets_lists_each_barcode_and_counts_per_set(id3c_db):
    _labels_scenario(id3c_db)
    out = ok(run(id3c_db, "show-barcode-sets", barcodes="AAAAAAAA,bbbbbbbb, eeeeeeee,12121212"))
    each, counts = out.tables()
    assert {r["barcode"]: r["identifier_set"] for r in each} == {
        "12121212": None,
        "aaaaaaaa": "collections-kiosks-asymptomatic",
        "bbbbbbbb": "collections-kiosks-asymptomatic",
        "eeeeeeee": "collections-kiosks",
    }
    assert each[0]["barcode"] == "12121212", "unknown barcodes come first"
    assert {r["identifier_set"]: r["barcodes"] for r in counts} == {
        "(unknown barcode)": "1", "collections-kiosks": "1", "collections-kiosks-asymptomatic": "2"}


def test_move_barcodes_to_set_by_set_name(id3c_db):
    _labels_scenario(id3c_db)
    out = ok(run(id3c_db, "move-barcodes-to-set", commit=True, barcodes="aaaaaaaa,BBBBBBBB,cccccccc", **MOVE))
    rows = out.rows()
    assert column(rows, "barcode") == ["aaaaaaaa", "bbbbbbbb", "cccccccc"]
    assert set(column(rows, "to_set")) == {"collections-scan-kiosks"}
    assert [(c.table, c.updated) for c in out.changes] == [("warehouse.identifier", 3)]
    sets = _sets(id3c_db)
    assert {code: sets[code] for code in ("aaaaaaaa", "bbbbbbbb", "cccccccc")} == dict.fromkeys(
        ("aaaaaaaa", "bbbbbbbb", "cccccccc"), "collections-scan-kiosks")
    assert sets["dddddddd"] == "collections-kiosks-asymptomatic"
    assert sets["eeeeeeee"] == "collections-kiosks"


def test_move_barcodes_to_set_works_whatever_the_set_ids_are(id3c_db):
    """Production ids 16 and 25 are not special: renumber the sets and move by name still works."""
    _labels_scenario(id3c_db)
    id3c_db.execute("insert into warehouse.identifier_set (name, use) values ('collections-brand-new', 'collection')")
    ok(run(id3c_db, "move-barcodes-to-set", commit=True, barcodes="aaaaaaaa",
           from_set="collections-kiosks-asymptomatic", to_set="collections-brand-new"))
    assert _sets(id3c_db)["aaaaaaaa"] == "collections-brand-new"


def _refusal(db, words, **params):
    before = db.snapshot()
    refused(run(db, "move-barcodes-to-set", commit=True, **params), *words)
    assert db.snapshot() == before


def test_move_barcodes_to_set_refuses_unknown_barcodes(id3c_db):
    _labels_scenario(id3c_db)
    _refusal(id3c_db, ["barcodes", "12121212", "34343434"], barcodes="aaaaaaaa,12121212,34343434", **MOVE)


def test_move_barcodes_to_set_refuses_barcodes_from_more_than_one_set(id3c_db):
    _labels_scenario(id3c_db)
    _refusal(id3c_db, ["barcodes", "eeeeeeee in collections-kiosks"], barcodes="aaaaaaaa,eeeeeeee", **MOVE)


def test_move_barcodes_to_set_refuses_barcodes_not_in_from_set(id3c_db):
    _labels_scenario(id3c_db)
    _refusal(id3c_db, ["from_set collections-kiosks", "aaaaaaaa in collections-kiosks-asymptomatic"],
             barcodes="aaaaaaaa,bbbbbbbb", from_set="collections-kiosks", to_set="collections-scan-kiosks")


def test_move_barcodes_to_set_refuses_unknown_sets_and_a_change_of_use(id3c_db):
    _labels_scenario(id3c_db)
    _refusal(id3c_db, ["from_set collections-nope"], barcodes="aaaaaaaa",
             from_set="collections-nope", to_set="collections-scan-kiosks")
    _refusal(id3c_db, ["to_set collections-nope"], barcodes="aaaaaaaa",
             from_set="collections-kiosks-asymptomatic", to_set="collections-nope")
    _refusal(id3c_db, ["to_set samples", "sample", "collection"], barcodes="aaaaaaaa",
             from_set="collections-kiosks-asymptomatic", to_set="samples")
