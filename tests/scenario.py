"""Seed helpers: put the rows a scenario needs into a test database, the way ID3C would.

Each function takes a database object with `.execute(sql, params)` (the `id3c_db` fixture or a
runbook.pg.server.Database) and returns the new row's key. Barcodes must be 8 hex characters
(AAAAAAAA, BBBBBBBB, ... or a uuid suffix) and at least 3 substitutions apart, as in ID3C.
"""

from __future__ import annotations

import json
import uuid as uuidlib


def _one(db, sql, params):
    rows = db.execute(sql, params)
    return rows[0][0] if rows else None


def identifier(db, set_name: str, barcode: str | None = None) -> tuple[str, str]:
    """A warehouse.identifier in the named set -> (uuid as text, barcode).

    With a barcode, the uuid is made to end with it (the schema requires it); without one, the
    uuid is random and the trigger derives the barcode from it.
    """
    if _one(db, "select 1 from warehouse.identifier_set where name = %s", (set_name,)) is None:
        raise ValueError(f"no identifier set named {set_name!r}")
    if barcode is None:
        row = db.execute(
            "insert into warehouse.identifier (identifier_set_id)"
            " select identifier_set_id from warehouse.identifier_set where name = %s"
            " returning uuid::text, barcode::text",
            (set_name,),
        )[0]
    else:
        uid = str(uuidlib.uuid4())[:-8] + barcode.lower()
        row = db.execute(
            "insert into warehouse.identifier (uuid, barcode, identifier_set_id)"
            " select %s::uuid, %s, identifier_set_id from warehouse.identifier_set where name = %s"
            " returning uuid::text, barcode::text",
            (uid, barcode, set_name),
        )[0]
    return row[0], row[1]


def uuid_of(db, barcode: str) -> str:
    """The uuid (text) of an existing barcode; ValueError when there is none."""
    found = _one(db, "select uuid::text from warehouse.identifier where barcode = %s", (barcode,))
    if found is None:
        raise ValueError(f"barcode {barcode!r} is not a warehouse.identifier: call identifier() first")
    return found


def encounter(db, identifier: str | None = None, site: str = "self-test",
              encountered: str | None = None, details: dict | None = None) -> int:
    """A warehouse.encounter (with a new individual) at an existing site -> encounter_id."""
    tag = uuidlib.uuid4().hex[:12]
    individual_id = _one(
        db,
        "insert into warehouse.individual (identifier, sex) values (%s, null) returning individual_id",
        (f"individual-{tag}",),
    )
    return _one(
        db,
        "insert into warehouse.encounter (identifier, individual_id, site_id, encountered, details)"
        " select %s, %s, site_id, coalesce(%s::timestamptz, now()), %s::jsonb"
        " from warehouse.site where identifier = %s returning encounter_id",
        (identifier or f"encounter-{tag}", individual_id, encountered,
         json.dumps(details) if details is not None else None, site),
    )


def sample(db, sample_barcode: str | None = None, collection_barcode: str | None = None,
           encounter_id: int | None = None, details: dict | None = None,
           collected: str | None = None) -> int:
    """A warehouse.sample holding the barcodes' uuids as text -> sample_id."""
    return _one(
        db,
        "insert into warehouse.sample (identifier, collection_identifier, encounter_id, details, collected)"
        " values (%s, %s, %s, %s::jsonb, %s::date) returning sample_id",
        (uuid_of(db, sample_barcode) if sample_barcode else None,
         uuid_of(db, collection_barcode) if collection_barcode else None,
         encounter_id, json.dumps(details) if details is not None else None, collected),
    )


def result(db, sample_id: int, target: str = "COVID-19", present: bool | None = True,
           identifier: str | None = None, details: dict | None = None) -> int:
    """A warehouse.presence_absence row -> presence_absence_id.

    The default identifier follows the P/A ETL: NWGC/<samplify id>/<target>.
    """
    target_id = _one(db, "select target_id from warehouse.target where identifier = %s", (target,))
    if target_id is None:
        raise ValueError(f"no target named {target!r}")
    return _one(
        db,
        "insert into warehouse.presence_absence (identifier, sample_id, target_id, present, details)"
        " values (%s, %s, %s, %s, %s::jsonb) returning presence_absence_id",
        (identifier or f"NWGC/{uuidlib.uuid4().int % 10**6}/{target}", sample_id, target_id,
         present, json.dumps(details) if details is not None else None),
    )


def _document(db, table: str, key: str, document, processing_log, received) -> int:
    text = document if isinstance(document, str) else json.dumps(document, indent=2)
    return _one(
        db,
        f"insert into receiving.{table} (document, processing_log, received)"
        f" values (%s::json, %s::jsonb, coalesce(%s::timestamptz, now())) returning {key}",
        (text, json.dumps(list(processing_log)), received),
    )


def pa_document(db, document: dict, processing_log=(), received: str | None = None) -> int:
    """A receiving.presence_absence document (stored as json text) -> presence_absence_id."""
    return _document(db, "presence_absence", "presence_absence_id", document, processing_log, received)


def manifest_document(db, document: dict, processing_log=(), received: str | None = None) -> int:
    """A receiving.manifest record -> manifest_id."""
    return _document(db, "manifest", "manifest_id", document, processing_log, received)
