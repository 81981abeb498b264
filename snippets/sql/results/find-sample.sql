-- title: Find a sample by its sample or collection barcode
-- effect: read
-- tags: [SQL, results]
-- params:
--   barcode:
--     pattern: ^[0-9A-Fa-f]{8}$
--     example: aaaaaaaa
--     help: sample or collection barcode

-- One row per sample carrying the barcode; an empty sample_id when none does (or when you
-- lack the sample's access role: warehouse.sample has row-level security on access_role,
-- e.g. cascadia), and an empty identifier_set when the barcode itself is unknown. lims_ids: the Samplify sampleIds the
-- presence/absence ETL has recorded for the sample.

select coalesce(identifier.barcode, typed.barcode) as barcode,
       identifier_set.name as identifier_set,
       sample.sample_id,
       case
           when sample.identifier = identifier.uuid::text then 'sample barcode'
           when sample.collection_identifier = identifier.uuid::text then 'collection barcode'
       end as matched_as,
       sample_barcode.barcode as sample_barcode,
       collection_barcode.barcode as collection_barcode,
       sample.encounter_id,
       sample.collected,
       sample.details -> 'nwgc_id' as lims_ids,
       (select count(*) from warehouse.presence_absence
         where presence_absence.sample_id = sample.sample_id) as results
  from (select btrim(:'barcode')::citext as barcode) as typed
  left join warehouse.identifier using (barcode)
  left join warehouse.identifier_set using (identifier_set_id)
  left join warehouse.sample
         on sample.identifier = identifier.uuid::text
         or sample.collection_identifier = identifier.uuid::text
  left join warehouse.identifier as sample_barcode
         on sample_barcode.uuid = sample.identifier::uuid
  left join warehouse.identifier as collection_barcode
         on collection_barcode.uuid = sample.collection_identifier::uuid
 order by sample.sample_id;
