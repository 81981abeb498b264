-- title: Show the barcode and identifier set of an identifier uuid
-- effect: read
-- tags: [SQL, ETL, presence-absence, barcodes]
-- params:
--   identifier:
--     type: uuid
--     example: b3a1f6a2-3c2d-4e5f-8a9b-0c1d2e3faaaa
--     help: the uuid from the error line

-- One row per sample that carries the identifier (as sample or collection identifier); a row
-- with an empty sample_id when none does, and an empty barcode when the uuid is unknown. An
-- empty sample_id can also mean you lack the sample's access role: warehouse.sample has
-- row-level security on access_role (e.g. cascadia).

select given.uuid,
       identifier.barcode,
       identifier_set.name as identifier_set,
       identifier_set.use,
       sample.sample_id,
       case
           when sample.identifier = given.uuid::text then 'sample identifier'
           when sample.collection_identifier = given.uuid::text then 'collection identifier'
       end as carried_as,
       sample.encounter_id,
       sample.created as sample_created
  from (select :'identifier'::uuid as uuid) as given
  left join warehouse.identifier using (uuid)
  left join warehouse.identifier_set using (identifier_set_id)
  left join warehouse.sample
         on sample.identifier = given.uuid::text
         or sample.collection_identifier = given.uuid::text
 order by sample.sample_id;
