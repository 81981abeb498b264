-- title: Create samples that carry only their sample identifier
-- effect: write
-- tags: [SQL, ETL, presence-absence, manifest]
-- params:
--   sample_barcodes:
--     list: true
--     pattern: ^[0-9A-Fa-f]{8}$
--     example: aaaaaaaa,bbbbbbbb
--     help: sample barcodes from the lab's aliquot manifest

-- Creates a warehouse.sample with only `identifier` set for each barcode of the `samples` set
-- that no sample carries yet. Unknown barcodes and barcodes of other sets are reported and
-- skipped; existing samples are left alone, so running it twice changes nothing. The manifest
-- ETL fills in the collection identifier once the lab's manifest is fixed. A sample whose
-- access_role you lack is invisible (row-level security on warehouse.sample): its barcode is
-- listed as "to create", but the unique identifier stops the insert, so it is missing from
-- "The samples created".

-- What happens to each barcode
-- A transaction: nothing below is kept until you type commit; (rollback; undoes it).
begin;

-- Before-images for undo: every row this changes is recorded here (runbook run reads them
-- into its receipt; pasted, the last query shows them: save that output).
create temporary table if not exists runbook_undo (
    seq bigint generated always as identity,
    relation text not null,   -- schema-qualified, e.g. 'warehouse.presence_absence'
    op text not null check (op in ('delete', 'update', 'insert')),
    before jsonb,             -- to_jsonb(old row) for delete and update, null for insert
    key jsonb not null        -- the row's primary key, e.g. '{"presence_absence_id": 12}'
) on commit drop;

with given as (
    select distinct lower(btrim(item)) as barcode
      from regexp_split_to_table(:'sample_barcodes', ',') as item
     where btrim(item) <> ''
)
select given.barcode,
       identifier_set.name as identifier_set,
       sample.sample_id as existing_sample_id,
       case
           when identifier.uuid is null then 'skipped: unknown barcode'
           when identifier_set.name <> 'samples' then 'skipped: not in set samples'
           when sample.sample_id is not null then 'left alone: a sample has it'
           else 'to create'
       end as outcome
  from given
  left join warehouse.identifier on identifier.barcode = given.barcode::citext
  left join warehouse.identifier_set using (identifier_set_id)
  left join warehouse.sample on sample.identifier = identifier.uuid::text
 order by given.barcode;

-- The samples created
with given as (
    select distinct lower(btrim(item)) as barcode
      from regexp_split_to_table(:'sample_barcodes', ',') as item
     where btrim(item) <> ''
),
created as (
    insert into warehouse.sample (identifier)
    select identifier.uuid::text
      from given
      join warehouse.identifier on identifier.barcode = given.barcode::citext
      join warehouse.identifier_set using (identifier_set_id)
     where identifier_set.name = 'samples'
    on conflict (identifier) do nothing
    returning sample_id, identifier
),
captured as (
    insert into pg_temp.runbook_undo (relation, op, before, key)
    select 'warehouse.sample', 'insert', null, jsonb_build_object('sample_id', created.sample_id)
      from created
)
select created.sample_id, identifier.barcode, created.identifier
  from created
  join warehouse.identifier on identifier.uuid = created.identifier::uuid
 order by identifier.barcode;

-- The before-images (save them: they are what an undo needs).
select relation, op, before from pg_temp.runbook_undo order by seq;

-- Nothing is committed yet: check the output above, then type commit; to keep the
-- changes, or rollback; to undo them.
