-- title: Show the samples that match one set of barcodes
-- effect: read
-- tags: [SQL, ETL, manifest]
-- params:
--   sample_ids:
--     list: true
--     type: integer
--     pattern: ^\d+$
--     example: 137871,138045
--     help: the Record(id=...) values of the error

-- Each sample of the error with its barcodes, its encounter and how many presence/absence
-- results it has: the one without results is the one to delete.

select given.sample_id,
       case when sample.sample_id is null
            then 'no such sample (or you lack its access role: row-level security on access_role)' end as problem,
       sample_barcode.barcode as sample_barcode,
       collection_barcode.barcode as collection_barcode,
       sample.encounter_id,
       encounter.identifier as encounter,
       encounter.encountered,
       (select count(*) from warehouse.presence_absence
         where presence_absence.sample_id = sample.sample_id) as results,
       sample.created,
       sample.modified
  from unnest(string_to_array(:'sample_ids', ',')::integer[]) as given (sample_id)
  left join warehouse.sample using (sample_id)
  left join warehouse.encounter on encounter.encounter_id = sample.encounter_id
  left join warehouse.identifier as sample_barcode
         on sample_barcode.uuid = sample.identifier::uuid
  left join warehouse.identifier as collection_barcode
         on collection_barcode.uuid = sample.collection_identifier::uuid
 order by given.sample_id;
