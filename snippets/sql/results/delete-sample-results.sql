-- title: Delete the results one incorrect document gave a sample
-- effect: write
-- tags: [SQL, results, presence-absence]
-- params:
--   barcode:
--     pattern: ^[0-9A-Fa-f]{8}$
--     example: aaaaaaaa
--     help: sample or collection barcode of the retroactively failed sample
--   presence_absence_id:
--     type: integer
--     pattern: ^\d+$
--     example: '4241'
--     help: the incorrect (first) document from find-sample-documents

-- Deletes only the warehouse.presence_absence rows that this document gave this sample: the
-- presence/absence ETL names each result NWGC/<sampleId>/<geneTarget>/<chip> (no /<chip> when
-- the well has none), from the document's wells whose investigatorId is the sample's barcode
-- and that it loaded (not sampleFailed, isCurrentExpressionResult, a target status other than
-- Fail, Repeat or Review). Results of the same sample from other runs stay. Lists the rows
-- first, then deletes exactly those. Refuses, changing nothing, when the barcode or document
-- is unknown, no visible sample or several samples carry the barcode, the document gave the
-- sample no result that is still there, a result belongs to another sample, or a later
-- document loaded the same result again (the row then holds that later, valid value).
-- warehouse.sample has row-level security: a sample whose access_role you lack is invisible.

-- A transaction: nothing below is kept until you type commit; (rollback; undoes it).
begin;

select set_config('runbook.barcode', :'barcode', true) as barcode,
       set_config('runbook.presence_absence_id', :'presence_absence_id', true) as presence_absence_id;

-- The results the document produced for the sample, frozen for this transaction: the guard
-- checks them, the listing shows them, the delete removes exactly them.
create temporary table runbook_scope on commit drop as
with typed as (
    select btrim(current_setting('runbook.barcode'))::citext as barcode,
           current_setting('runbook.presence_absence_id')::integer as document_id
),
samples as (
    select sample.sample_id,
           array_remove(array[lower(sample_barcode.barcode::text), lower(collection_barcode.barcode::text)], null)
               as barcodes
      from typed
      join warehouse.identifier on identifier.barcode = typed.barcode
      join warehouse.sample
        on sample.identifier = identifier.uuid::text
        or sample.collection_identifier = identifier.uuid::text
      left join warehouse.identifier as sample_barcode on sample_barcode.uuid::text = sample.identifier
      left join warehouse.identifier as collection_barcode
             on collection_barcode.uuid::text = sample.collection_identifier
),
wells as (
    select well.value as well
      from typed
      join receiving.presence_absence on presence_absence_id = typed.document_id
     cross join json_array_elements(case when json_typeof(document -> 'samples') = 'array'
                                         then document -> 'samples' end) as well
     where lower(well.value ->> 'investigatorId') = any (select unnest(barcodes) from samples)
),
produced as (
    -- what the ETL loads from a well (lib/id3c/cli/command/etl/presence_absence.py)
    select 'NWGC/' || (well ->> 'sampleId') || '/' || (result.value ->> 'geneTarget')
               || coalesce('/' || nullif(well ->> 'chip', ''), '') as identifier
      from wells
     cross join json_array_elements(case when json_typeof(well -> 'targetResults') = 'array'
                                         then well -> 'targetResults' end) as result
     where coalesce((well -> 'sampleFailed')::jsonb, 'false') <> 'true'
       and coalesce((well -> 'isCurrentExpressionResult')::jsonb, 'false') = 'true'
       and coalesce(result.value ->> 'targetStatus', result.value ->> 'sampleState')
           not in ('Fail', 'Repeat', 'Review')
)
select presence_absence.presence_absence_id,
       produced.identifier,
       presence_absence.sample_id,
       (select min(sample_id) from samples) as wanted_sample_id,
       target.identifier as target,
       presence_absence.present,
       presence_absence.details ->> 'device' as device,
       presence_absence.modified,
       (select count(*) from samples) as samples_carrying_barcode,
       (select count(*) from wells) as wells_in_document
  from produced
  left join warehouse.presence_absence using (identifier)
  left join warehouse.target using (target_id);

do $$
declare
    typed citext := btrim(current_setting('runbook.barcode'));
    document_id integer := current_setting('runbook.presence_absence_id')::integer;
    matches integer;
    samples text;
    wells integer;
    elsewhere text;
    later text;
begin
    if not exists (select from warehouse.identifier where barcode = typed) then
        raise exception 'barcode %: unknown barcode (not in warehouse.identifier)', typed;
    end if;
    select count(*), string_agg(sample.sample_id::text, ', ' order by sample.sample_id)
      into matches, samples
      from warehouse.identifier
      join warehouse.sample
        on sample.identifier = identifier.uuid::text
        or sample.collection_identifier = identifier.uuid::text
     where identifier.barcode = typed;
    if matches = 0 then
        raise exception 'barcode %: no sample carries it that you can see (or you lack its access role: warehouse.sample has row-level security on access_role, e.g. cascadia)', typed;
    elsif matches > 1 then
        raise exception 'barcode %: % samples carry it (%); refusing to choose', typed, matches, samples;
    end if;
    if not exists (select from receiving.presence_absence where presence_absence_id = document_id) then
        raise exception 'presence_absence_id %: no such document in receiving.presence_absence', document_id;
    end if;
    select coalesce(max(wells_in_document), 0) into wells from pg_temp.runbook_scope;
    if not exists (select from pg_temp.runbook_scope) then
        raise exception 'presence_absence_id %: the document loaded no result for barcode % (no well names it, or every well of it is failed or not current: give the earlier, incorrect document)',
            document_id, typed;
    end if;
    if not exists (select from pg_temp.runbook_scope where presence_absence_id is not null) then
        raise exception 'presence_absence_id %: none of its results for barcode % is in warehouse.presence_absence (already deleted?)',
            document_id, typed;
    end if;
    select string_agg(format('%s (sample %s)', identifier, sample_id), ', ' order by identifier) into elsewhere
      from pg_temp.runbook_scope
     where sample_id <> wanted_sample_id;
    if elsewhere is not null then
        raise exception 'presence_absence_id %: results % belong to another sample than barcode %''s; refusing',
            document_id, elsewhere, typed;
    end if;
    -- A later document that loaded the same identifier again overwrote the row (the ETL upserts
    -- by identifier, in document order): the row then holds that later result.
    select string_agg(distinct format('%s (document %s)', scope.identifier, later_doc.presence_absence_id), ', ')
      into later
      from pg_temp.runbook_scope as scope
      join receiving.presence_absence as later_doc
        on later_doc.presence_absence_id > document_id
       and strpos(later_doc.document::text, split_part(scope.identifier, '/', 2)) > 0
     cross join json_array_elements(case when json_typeof(later_doc.document -> 'samples') = 'array'
                                         then later_doc.document -> 'samples' end) as well
     cross join json_array_elements(case when json_typeof(well.value -> 'targetResults') = 'array'
                                         then well.value -> 'targetResults' end) as result
     where scope.presence_absence_id is not null
       and coalesce((well.value -> 'sampleFailed')::jsonb, 'false') <> 'true'
       and coalesce((well.value -> 'isCurrentExpressionResult')::jsonb, 'false') = 'true'
       and coalesce(result.value ->> 'targetStatus', result.value ->> 'sampleState')
           not in ('Fail', 'Repeat', 'Review')
       and scope.identifier = 'NWGC/' || (well.value ->> 'sampleId') || '/' || (result.value ->> 'geneTarget')
                              || coalesce('/' || nullif(well.value ->> 'chip', ''), '');
    if later is not null then
        raise exception 'presence_absence_id %: a later document loaded the same results again: %; they hold its values, refusing (ambiguous)',
            document_id, later;
    end if;
    raise notice 'presence_absence_id %: % well(s) for barcode %, % result(s) to delete (one per target)',
        document_id, wells, typed, (select count(*) from pg_temp.runbook_scope where presence_absence_id is not null);
end
$$;

-- The rows that will be deleted (one per target of the sample's wells in that document).
select presence_absence_id, identifier, sample_id, target, present, device, modified
  from pg_temp.runbook_scope
 where presence_absence_id is not null
 order by identifier;

-- Before-images of every row this snippet changes (the receipt reads them).
create temporary table if not exists runbook_undo (
    seq bigint generated always as identity,
    relation text not null,
    op text not null check (op in ('delete', 'update', 'insert')),
    before jsonb,
    key jsonb not null
) on commit drop;

with gone as (
    delete from warehouse.presence_absence
     using pg_temp.runbook_scope as scope
     where presence_absence.presence_absence_id = scope.presence_absence_id
    returning presence_absence.*
)
insert into pg_temp.runbook_undo (relation, op, before, key)
select 'warehouse.presence_absence', 'delete', to_jsonb(gone),
       jsonb_build_object('presence_absence_id', gone.presence_absence_id)
  from gone;

select relation, op, before from pg_temp.runbook_undo order by seq;

-- Nothing is committed yet: check the output above, then type commit; to keep the
-- changes, or rollback; to undo them.
