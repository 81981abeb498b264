-- title: Find samples created from incomplete manifest records
-- effect: read
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

-- Manifest records without a collection barcode, received between the two days, whose sample
-- barcode reappears in a complete record on the day of the error: the samples the manifest
-- ETL created from them (its log entry carries "etl": "manifest", "status": "created" and the
-- sample_id). A record whose entry says "updated" found a sample that existed before it, so
-- that sample is not listed. Days are taken in the given time zone, not the session's;
-- barcodes are compared case-insensitively, as ID3C's citext barcodes match.

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
       sample_barcode.barcode as sample_barcode,
       collection_barcode.barcode as collection_barcode,
       sample.encounter_id,
       sample.created,
       (select count(*) from warehouse.presence_absence
         where presence_absence.sample_id = sample.sample_id) as results
  from affected
  join warehouse.sample using (sample_id)
  left join warehouse.identifier as sample_barcode
         on sample_barcode.uuid = sample.identifier::uuid
  left join warehouse.identifier as collection_barcode
         on collection_barcode.uuid = sample.collection_identifier::uuid
 order by sample.sample_id;
