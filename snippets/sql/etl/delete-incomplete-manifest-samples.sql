-- title: Delete samples created from incomplete manifest records
-- effect: write
-- tags: [SQL, ETL, manifest]
-- params:
--   date_before_error:
--     type: date
--     example: '2020-06-01'
--     help: first day to search
--   date_of_error:
--     type: date
--     example: '2020-06-02'
--     help: the day the error appeared
--   timezone:
--     default: America/Los_Angeles
--     pattern: ^[A-Za-z_]+(/[A-Za-z_+-]+)*$
--     help: time zone that turns received timestamps into dates

-- The samples find-incomplete-manifest-samples lists: samples the manifest ETL *created* from
-- an incomplete record (its log entry says "status": "created"; "updated" means the sample
-- existed before, and it is never taken). Those without presence/absence results are deleted;
-- those with results are kept and listed for review (deleting them would hit the
-- presence_absence_sample_id_fkey foreign key). Other dependent rows (sequencing, kits) still
-- stop the delete with their foreign key error, and then nothing is deleted. Barcodes are
-- compared case-insensitively (the guide's query compared them as case-sensitive text).

-- A transaction: nothing below is kept until you type commit; (rollback; undoes it).
begin;

select set_config('runbook.date_before_error', :'date_before_error', true) as date_before_error,
       set_config('runbook.date_of_error', :'date_of_error', true) as date_of_error;

do $$
begin
    if current_setting('runbook.date_before_error')::date > current_setting('runbook.date_of_error')::date then
        raise exception 'date_before_error % is after date_of_error %',
            current_setting('runbook.date_before_error'), current_setting('runbook.date_of_error');
    end if;
end
$$;

-- The affected samples, frozen for this transaction: listed, then deleted exactly as listed.
create temporary table runbook_scope on commit drop as
with error_records as (
    select lower(document ->> 'sample') as sample,
           processing_log
      from receiving.manifest
     where (received at time zone :'timezone')::date between :'date_before_error'::date and :'date_of_error'::date
       and document ->> 'collection' is null
),
complete_records as (
    select lower(document ->> 'sample') as sample
      from receiving.manifest
     where (received at time zone :'timezone')::date = :'date_of_error'::date
       and document ->> 'collection' is not null
),
affected as (
    select distinct (entry ->> 'sample_id')::integer as sample_id
      from error_records
      join complete_records using (sample)
     cross join jsonb_array_elements(error_records.processing_log) as entry
     where entry @> '{"etl": "manifest", "status": "created"}'
       and entry ? 'sample_id'
)
select sample.sample_id,
       sample.identifier,
       sample.collection_identifier,
       sample.encounter_id,
       (select count(*) from warehouse.presence_absence
         where presence_absence.sample_id = sample.sample_id) as results
  from affected
  join warehouse.sample using (sample_id);

select case when scope.results = 0 then 'delete' else 'kept for review: has results' end as action,
       scope.sample_id,
       sample_barcode.barcode as sample_barcode,
       collection_barcode.barcode as collection_barcode,
       scope.encounter_id,
       scope.results
  from pg_temp.runbook_scope as scope
  left join warehouse.identifier as sample_barcode
         on sample_barcode.uuid = scope.identifier::uuid
  left join warehouse.identifier as collection_barcode
         on collection_barcode.uuid = scope.collection_identifier::uuid
 order by 1, scope.sample_id;

-- Before-images of every row this snippet changes (the receipt reads them).
create temporary table if not exists runbook_undo (
    seq bigint generated always as identity,
    relation text not null,
    op text not null check (op in ('delete', 'update', 'insert')),
    before jsonb,
    key jsonb not null
) on commit drop;

with gone as (
    delete from warehouse.sample
     using pg_temp.runbook_scope as scope
     where sample.sample_id = scope.sample_id
       and scope.results = 0
    returning sample.*
)
insert into pg_temp.runbook_undo (relation, op, before, key)
select 'warehouse.sample', 'delete', to_jsonb(gone), jsonb_build_object('sample_id', gone.sample_id)
  from gone;

select relation, op, before from pg_temp.runbook_undo order by seq;

-- Nothing is committed yet: check the output above, then type commit; to keep the
-- changes, or rollback; to undo them.
