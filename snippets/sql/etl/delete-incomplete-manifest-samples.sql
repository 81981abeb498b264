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

-- The samples find-incomplete-manifest-samples lists: those without presence/absence results
-- are deleted; those with results are kept and listed for review (deleting them would hit the
-- presence_absence_sample_id_fkey foreign key). Other dependent rows (sequencing, kits) still
-- stop the delete with their foreign key error, and then nothing is deleted.

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
     where entry @> '{"etl": "manifest"}'
       and entry ? 'sample_id'
),
counted as (
    select sample.sample_id,
           sample.identifier,
           sample.collection_identifier,
           sample.encounter_id,
           (select count(*) from warehouse.presence_absence
             where presence_absence.sample_id = sample.sample_id) as results
      from affected
      join warehouse.sample using (sample_id)
),
deleted as (
    delete from warehouse.sample
     using counted
     where sample.sample_id = counted.sample_id
       and counted.results = 0
    returning sample.sample_id
)
select case when deleted.sample_id is null then 'kept for review: has results' else 'deleted' end as action,
       counted.sample_id,
       sample_barcode.barcode as sample_barcode,
       collection_barcode.barcode as collection_barcode,
       counted.encounter_id,
       counted.results
  from counted
  left join deleted using (sample_id)
  left join warehouse.identifier as sample_barcode
         on sample_barcode.uuid = counted.identifier::uuid
  left join warehouse.identifier as collection_barcode
         on collection_barcode.uuid = counted.collection_identifier::uuid
 order by 1, counted.sample_id;

-- Nothing is committed yet: check the output above, then type commit; to keep the
-- changes, or rollback; to undo them.
