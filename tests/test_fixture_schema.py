"""The fixture schema rejects what ID3C's schema rejects, with the same error texts.

Each case comes from shared/reference/id3c-facts.md (section 1, "Fixture pitfalls", and the
snippet verdicts in section 2), which were checked against the real sqitch schema on PG 15.
"""

from __future__ import annotations

import subprocess

import psycopg
import pytest
from psycopg import errors

import scenario


def fails(db, sql, params=None, *, error=psycopg.Error):
    """Run sql expecting an error; return (sqlstate, primary message)."""
    with pytest.raises(error) as info:
        db.execute(sql, params)
    return info.value.sqlstate, info.value.diag.message_primary


# ---------------------------------------------------------------------------------------------
# warehouse.identifier


def test_barcode_defaults_to_uuid_suffix(id3c_db):
    uuid, barcode = scenario.identifier(id3c_db, "samples")
    assert barcode == uuid[-8:]
    assert len(barcode) == 8


def test_barcode_must_be_uuid_suffix(id3c_db):
    state, message = fails(
        id3c_db,
        "insert into warehouse.identifier (uuid, barcode, identifier_set_id)"
        " values ('00000000-0000-4000-8000-0000aaaaaaaa', 'bbbbbbbb', 1)",
        error=errors.CheckViolation,
    )
    assert message == (
        'new row for relation "identifier" violates check constraint '
        '"identifier_barcode_is_suffix_of_uuid"'
    )


def test_barcode_must_be_8_characters(id3c_db):
    _, message = fails(
        id3c_db,
        "insert into warehouse.identifier (uuid, barcode, identifier_set_id)"
        " values ('00000000-0000-4000-8000-000aaaaaaaaa', 'aaaaaaaaa', 1)",
        error=errors.CheckViolation,
    )
    assert '"identifier_barcode_length"' in message


def test_barcodes_fewer_than_3_substitutions_apart_are_excluded(id3c_db):
    scenario.identifier(id3c_db, "samples", "aaaaaaaa")
    state, message = fails(
        id3c_db,
        "insert into warehouse.identifier (uuid, barcode, identifier_set_id)"
        " values ('00000000-0000-4000-8000-0000aaaaaaab', 'aaaaaaab', 1)",
        error=errors.ExclusionViolation,
    )
    assert state == "23P01"  # exclusion_violation
    assert message == "INSERT of (barcode='aaaaaaab') excluded by minimum substitution distance check"
    # two substitutions, and case does not count as a difference (barcode is citext)
    with pytest.raises(errors.ExclusionViolation):
        scenario.identifier(id3c_db, "samples", "AAAAAACC")


def test_barcodes_3_substitutions_apart_are_allowed(id3c_db):
    scenario.identifier(id3c_db, "samples", "AAAAAAAA")
    scenario.identifier(id3c_db, "samples", "AAAAABBB")
    scenario.identifier(id3c_db, "samples", "BBBBBBBB")
    scenario.identifier(id3c_db, "samples", "CCCCCCCC")
    assert id3c_db.execute("select count(*) from warehouse.identifier")[0][0] == 4


def test_distance_check_fires_on_update_of_barcode_only(id3c_db):
    scenario.identifier(id3c_db, "samples", "aaaaaaaa")
    uuid, _ = scenario.identifier(id3c_db, "samples", "bbbbbbbb")
    # changing the set does not touch the barcode: no distance check
    id3c_db.execute(
        "update warehouse.identifier set identifier_set_id = 25 where uuid = %s", (uuid,)
    )
    _, message = fails(
        id3c_db,
        "update warehouse.identifier set uuid = '00000000-0000-4000-8000-0000aaaaaaab',"
        " barcode = 'aaaaaaab' where uuid = %s",
        (uuid,),
        error=errors.ExclusionViolation,
    )
    assert message == "UPDATE of (barcode='aaaaaaab') excluded by minimum substitution distance check"


def test_moving_barcodes_to_a_missing_set_violates_the_fk(id3c_db):
    uuid, _ = scenario.identifier(id3c_db, "samples", "aaaaaaaa")
    _, message = fails(
        id3c_db,
        "update warehouse.identifier set identifier_set_id = 999 where uuid = %s",
        (uuid,),
        error=errors.ForeignKeyViolation,
    )
    assert message == (
        'insert or update on table "identifier" violates foreign key constraint '
        '"identifier_identifier_set_id_fkey"'
    )


def test_barcode_slices_are_positional_2_character_citext_windows(id3c_db):
    """As ID3C's functions/barcode_slices: '<position>__<2 characters>', citext[], case kept."""
    (slices, kind), = id3c_db.execute("select public.barcode_slices('AbCd1234')::text[],"
                                      " pg_typeof(public.barcode_slices('AbCd1234'))::text")
    assert kind == "citext[]"
    assert slices == ["1__Ab", "2__bC", "3__Cd", "4__d1", "5__12", "6__23", "7__34"]
    assert id3c_db.execute("select public.barcode_slices('a'), public.barcode_slices(null)") == [(None, None)]
    # overlap ignores case; barcodes 2 substitutions apart still share windows (the trigger's
    # candidates), 3 windows in this case
    assert id3c_db.execute(
        "select public.barcode_slices('AAAAAAAA') && public.barcode_slices('aaaaaaaa'),"
        " cardinality(array(select unnest(public.barcode_slices('aaaaaaaa'))"
        "   intersect select unnest(public.barcode_slices('aaXaaaYa'))))") == [(True, 3)]
    (indexdef,), = id3c_db.execute("select indexdef from pg_indexes where indexname = 'identifier_barcode_slices_idx'")
    assert "USING gin (" in indexdef and "barcode_slices(barcode))" in indexdef


def test_barcode_matches_case_insensitively(id3c_db):
    scenario.identifier(id3c_db, "collections-kiosks-asymptomatic", "aaaaaaaa")
    rows = id3c_db.execute(
        "select distinct identifier_set_id from warehouse.identifier where barcode in ('AAAAAAAA')"
    )
    assert rows == [(16,)]


# ---------------------------------------------------------------------------------------------
# warehouse.identifier_set


def test_identifier_set_needs_a_use(id3c_db):
    _, message = fails(
        id3c_db, "insert into warehouse.identifier_set (name) values ('x')",
        error=errors.NotNullViolation,
    )
    assert message == 'null value in column "use" of relation "identifier_set" violates not-null constraint'
    _, message = fails(
        id3c_db, "insert into warehouse.identifier_set (name, use) values ('x', 'nope')",
        error=errors.ForeignKeyViolation,
    )
    assert '"identifier_set_use_fkey"' in message


def test_identifier_sets_are_seeded_and_the_sequence_follows(id3c_db):
    sets = dict(id3c_db.execute("select name, use::text from warehouse.identifier_set"))
    assert sets["samples"] == "sample"
    assert sets["collections-scan-kiosks"] == "collection"
    assert sets["kits-fluathome.org"] == "kit"
    assert sets["test-strips-fluathome.org"] == "test-strip"
    for name in ("samples-haarvi", "collections-kiosks", "collections-scan-tiny-swabs",
                 "collections-clia-compliance", "collections-seattleflu.org",
                 "collections-fluathome.org", "collections-environmental", "collections-self-test",
                 "collections-household-observation", "collections-household-intervention",
                 "collections-swab&send", "collections-swab&send-asymptomatic",
                 "collections-haarvi"):
        assert name in sets
    ids = dict(id3c_db.execute("select name, identifier_set_id from warehouse.identifier_set"))
    assert ids["collections-kiosks-asymptomatic"] == 16 and ids["collections-scan-kiosks"] == 25
    uses = {r[0] for r in id3c_db.execute("select use::text from warehouse.identifier_set_use")}
    assert uses == {"sample", "collection", "clia", "kit", "test-strip"}
    # explicit ids were followed by setval: a default insert does not collide
    new = id3c_db.execute(
        "insert into warehouse.identifier_set (name, use) values ('new', 'sample')"
        " returning identifier_set_id"
    )
    assert new == [(26,)]


# ---------------------------------------------------------------------------------------------
# warehouse.sample, presence_absence, encounter


def test_sample_needs_an_identifier(id3c_db):
    _, message = fails(
        id3c_db, "insert into warehouse.sample (details) values ('{}')",
        error=errors.CheckViolation,
    )
    assert message == (
        'new row for relation "sample" violates check constraint "sample_identifiers_not_null"'
    )


def test_sample_identifiers_are_uuid_text_and_joins_need_a_cast(id3c_db):
    uuid, _ = scenario.identifier(id3c_db, "samples", "aaaaaaaa")
    sample_id = scenario.sample(id3c_db, sample_barcode="aaaaaaaa")
    assert id3c_db.execute(
        "select identifier from warehouse.sample where sample_id = %s", (sample_id,)
    ) == [(uuid,)]
    _, message = fails(
        id3c_db,
        "select * from warehouse.sample join warehouse.identifier"
        " on sample.identifier = identifier.uuid",
        error=errors.UndefinedFunction,
    )
    assert message == "operator does not exist: text = uuid"
    assert id3c_db.execute(
        "select barcode::text from warehouse.sample join warehouse.identifier"
        " on sample.identifier = identifier.uuid::text"
    ) == [("aaaaaaaa",)]


def test_sample_with_results_cannot_be_deleted(id3c_db):
    scenario.identifier(id3c_db, "samples", "aaaaaaaa")
    sample_id = scenario.sample(id3c_db, sample_barcode="aaaaaaaa")
    scenario.result(id3c_db, sample_id, "COVID-19", present=False)
    _, message = fails(
        id3c_db, "delete from warehouse.sample where sample_id = %s", (sample_id,),
        error=errors.ForeignKeyViolation,
    )
    assert message == (
        'update or delete on table "sample" violates foreign key constraint '
        '"presence_absence_sample_id_fkey" on table "presence_absence"'
    )


def test_modified_timestamp_trigger(id3c_db):
    scenario.identifier(id3c_db, "samples", "aaaaaaaa")
    sample_id = scenario.sample(id3c_db, sample_barcode="aaaaaaaa")
    id3c_db.execute("update warehouse.sample set created = created - interval '1 day',"
                    " modified = modified - interval '1 day' where sample_id = %s", (sample_id,))
    (created, modified), = id3c_db.execute(
        "select created, modified from warehouse.sample where sample_id = %s", (sample_id,)
    )
    assert modified > created  # the trigger overwrote the explicit modified value


def test_presence_absence_has_no_unique_sample_target(id3c_db):
    scenario.identifier(id3c_db, "samples", "aaaaaaaa")
    sample_id = scenario.sample(id3c_db, sample_barcode="aaaaaaaa")
    scenario.result(id3c_db, sample_id, "COVID-19", identifier="NWGC/1/COVID-19/chip1")
    scenario.result(id3c_db, sample_id, "COVID-19", identifier="NWGC/1/COVID-19/chip2")
    with pytest.raises(errors.UniqueViolation):
        scenario.result(id3c_db, sample_id, "COVID-19", identifier="NWGC/1/COVID-19/chip2")


def test_targets_and_controls(id3c_db):
    targets = dict(id3c_db.execute("select identifier, control from warehouse.target"))
    assert targets["COVID-19"] is False and targets["Flu_A_pan"] is False
    assert targets["RSVA"] is False
    # the controls, exactly: a query that filters `not control` must drop these and only these
    assert sorted(name for name, control in targets.items() if control) == ["MS2", "RNaseP"]


def test_encounter_needs_individual_and_site_and_month_precise_age(id3c_db):
    encounter_id = scenario.encounter(id3c_db)
    assert id3c_db.execute(
        "select i.identifier like 'individual-%%', s.identifier from warehouse.encounter e"
        " join warehouse.individual i using (individual_id) join warehouse.site s using (site_id)"
        " where encounter_id = %s", (encounter_id,),
    ) == [(True, "self-test")]
    _, message = fails(
        id3c_db, "update warehouse.encounter set individual_id = null where encounter_id = %s",
        (encounter_id,), error=errors.NotNullViolation,
    )
    assert 'column "individual_id"' in message
    _, message = fails(
        id3c_db, "update warehouse.encounter set age = '3 years 2 days' where encounter_id = %s",
        (encounter_id,), error=errors.CheckViolation,
    )
    assert '"encounter_age_only_precise_to_months"' in message
    id3c_db.execute(
        "update warehouse.encounter set age = '3 years 2 mons' where encounter_id = %s",
        (encounter_id,),
    )
    with pytest.raises(errors.UniqueViolation):  # sites are unique case-insensitively
        id3c_db.execute("insert into warehouse.site (identifier) values ('SELF-TEST')")


# ---------------------------------------------------------------------------------------------
# receiving


@pytest.mark.parametrize("table", ["presence_absence", "manifest"])
def test_processing_log_must_be_an_array(id3c_db, table):
    _, message = fails(
        id3c_db,
        f"insert into receiving.{table} (document, processing_log) values ('{{}}', '{{}}')",
        error=errors.CheckViolation,
    )
    assert message == (
        f'new row for relation "{table}" violates check constraint "{table}_processing_log_is_array"'
    )


@pytest.mark.parametrize("table", ["presence_absence", "manifest"])
def test_document_must_be_an_object(id3c_db, table):
    _, message = fails(
        id3c_db, f"insert into receiving.{table} (document) values ('[1, 2]')",
        error=errors.CheckViolation,
    )
    assert message == (
        f'new row for relation "{table}" violates check constraint "{table}_document_is_object"'
    )


def test_receiving_defaults_and_gin_index(id3c_db):
    id3c_db.execute("insert into receiving.manifest (document) values ('{\"sample\": \"x\"}')")
    assert id3c_db.execute(
        "select processing_log, received is not null from receiving.manifest"
    ) == [([], True)]
    indexes = {r[0] for r in id3c_db.execute(
        "select indexname from pg_indexes where schemaname = 'receiving'"
        " and indexdef like '%USING gin (processing_log jsonb_path_ops)%'"
    )}
    assert indexes == {"presence_absence_processing_log_idx", "manifest_processing_log_idx"}


def test_document_is_json_not_jsonb(id3c_db):
    doc_id = scenario.pa_document(id3c_db, {
        "samples": [{"investigatorId": "BAT-049A-1", "sampleId": "s1"},
                    {"investigatorId": "BAT-049A-2", "sampleId": "s2"}],
    })
    rows = id3c_db.execute(
        "select r.\"investigatorId\" from receiving.presence_absence,"
        " json_to_recordset(document -> 'samples') as r(\"investigatorId\" text)"
        " where presence_absence_id = %s order by 1",
        (doc_id,),
    )
    assert rows == [("BAT-049A-1",), ("BAT-049A-2",)]
    _, message = fails(
        id3c_db,
        "select * from receiving.presence_absence,"
        " jsonb_to_recordset(document -> 'samples') as r(\"investigatorId\" text)",
        error=errors.UndefinedFunction,
    )
    assert message == "function jsonb_to_recordset(json) does not exist"
    # the exact text is kept (json, not jsonb): whitespace and key order survive
    text = id3c_db.execute("select document::text from receiving.presence_absence")[0][0]
    assert text.startswith('{\n  "samples"')


def test_processing_log_selection_by_revision(id3c_db):
    done = scenario.pa_document(id3c_db, {"samples": []}, [{"revision": 8, "timestamp": "t"}])
    old = scenario.pa_document(id3c_db, {"samples": []}, [{"revision": 5, "status": "manually skipped"}])
    pending = id3c_db.execute(
        "select presence_absence_id from receiving.presence_absence"
        " where not processing_log @> '[{\"revision\": 8}]' order by 1"
    )
    assert pending == [(old,)]
    # containment, not equality: a log whose later entry is revision 8 counts as done too
    redone = scenario.pa_document(id3c_db, {"samples": []}, [{"revision": 5}, {"revision": 8, "status": "x"}])
    processed = id3c_db.execute(
        "select presence_absence_id from receiving.presence_absence"
        " where processing_log @> '[{\"revision\": 8}]' order by 1"
    )
    assert processed == sorted([(done,), (redone,)])
    assert id3c_db.execute("select count(*) from receiving.presence_absence")[0][0] == 3


# ---------------------------------------------------------------------------------------------
# roles, Metabase, isolation, psql


def test_reporter_reads_but_does_not_write(id3c_db):
    id3c_db.execute("set role reporter")
    assert id3c_db.execute("select count(*) from warehouse.identifier_set")[0][0] >= 19
    fails(id3c_db, "insert into warehouse.site (identifier) values ('x')",
          error=errors.InsufficientPrivilege)
    id3c_db.execute("reset role")


def test_metabase_login_exists(id3c_db):
    assert id3c_db.execute(
        "select rolcanlogin from pg_roles where rolname = 'metabase'"
    ) == [(True,)]


def test_report_card_lives_in_the_metabase_database(id3c_db, metabase_db):
    _, message = fails(id3c_db, "update report_card set cache_ttl = 0 where name = 'x'",
                       error=errors.UndefinedTable)
    assert message == 'relation "report_card" does not exist'
    metabase_db.execute("insert into report_card (name) values ('Same name'), ('Same name')")
    assert metabase_db.execute(
        "update report_card set cache_ttl = 0 where name = 'Same name' returning id"
    ) == [(1,), (2,)]
    columns = metabase_db.execute(
        "select column_name, data_type, character_maximum_length, is_nullable"
        " from information_schema.columns where table_name = 'report_card'"
        " and column_name in ('id', 'name', 'cache_ttl') order by column_name"
    )
    assert columns == [
        ("cache_ttl", "integer", None, "YES"),
        ("id", "integer", None, "NO"),
        ("name", "character varying", 254, "NO"),
    ]


def test_each_test_gets_its_own_database(pg_server, id3c_template):
    from runbook import pg as postgres

    a = postgres.clone(pg_server, id3c_template)
    b = postgres.clone(pg_server, id3c_template)
    try:
        scenario.identifier(a, "samples", "aaaaaaaa")
        assert a.execute("select count(*) from warehouse.identifier") == [(1,)]
        assert b.execute("select count(*) from warehouse.identifier") == [(0,)]
    finally:
        a.drop()
        b.drop()


def test_snapshot_covers_every_table(id3c_db):
    snap = id3c_db.snapshot()
    assert {"receiving.presence_absence", "receiving.manifest", "warehouse.identifier",
            "warehouse.sample", "warehouse.presence_absence"} <= set(snap)
    assert len(snap["warehouse.identifier_set"]) == 19


def test_psql_runs_against_the_clone(id3c_db, psql_bin):
    out = subprocess.run(
        [psql_bin, "-X", "-v", "ON_ERROR_STOP=1", "-v", "set=samples", "-At", "-d", id3c_db.url,
         "-c", "select 1"],
        capture_output=True, text=True, check=True,
    )
    assert out.stdout.strip() == "1"
    query = "select identifier_set_id from warehouse.identifier_set where name = :'set'"
    out = subprocess.run(
        [psql_bin, "-X", "-v", "ON_ERROR_STOP=1", "-v", "set=samples", "-At", "-d", id3c_db.url],
        input=query, capture_output=True, text=True, check=True,
    )
    assert out.stdout.strip() == "1"


def test_scenario_seeds_a_full_chain(id3c_db):
    scenario.identifier(id3c_db, "samples", "aaaaaaaa")
    scenario.identifier(id3c_db, "collections-scan", "bbbbbbbb")
    encounter_id = scenario.encounter(id3c_db)
    sample_id = scenario.sample(id3c_db, "aaaaaaaa", "bbbbbbbb", encounter_id, {"note": "never-tested"})
    result_id = scenario.result(id3c_db, sample_id, "Flu_A_pan", present=None,
                                details={"device": "TaqmanQPCR"})
    manifest_id = scenario.manifest_document(id3c_db, {"sample": "aaaaaaaa", "collection": "bbbbbbbb"},
                                             [{"etl": "manifest", "revision": 1, "status": "created",
                                               "sample_id": sample_id}])
    assert id3c_db.execute(
        "select sample_id from warehouse.presence_absence where presence_absence_id = %s", (result_id,)
    ) == [(sample_id,)]
    assert id3c_db.execute(
        "select document ->> 'sample', processing_log -> 0 ->> 'sample_id' from receiving.manifest"
        " where manifest_id = %s", (manifest_id,)
    ) == [("aaaaaaaa", str(sample_id))]
    assert id3c_db.execute(
        "select s.details ->> 'note', t.identifier, p.present"
        " from warehouse.sample s join warehouse.presence_absence p using (sample_id)"
        " join warehouse.target t using (target_id)"
    ) == [("never-tested", "Flu_A_pan", None)]
    with pytest.raises(ValueError, match="not a warehouse.identifier"):
        scenario.sample(id3c_db, "cccccccc")
