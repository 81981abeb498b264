-- title: List the receiving documents that contain a sample
-- effect: read
-- tags: [SQL, results, presence-absence]
-- params:
--   barcode:
--     pattern: ^[0-9A-Fa-f]{8}$
--     example: aaaaaaaa
--     help: sample or collection barcode

-- Documents name a sample by its sample barcode (investigatorId). A collection barcode is
-- first turned into the sample barcode of the sample that carries it. One row per document
-- and well, oldest first: usually the first, incorrect document and the corrected one.

with wanted as (
    select lower(btrim(:'barcode')) as barcode
    union
    select lower(sample_barcode.barcode::text)
      from warehouse.identifier
      join warehouse.sample
        on sample.identifier = identifier.uuid::text
        or sample.collection_identifier = identifier.uuid::text
      join warehouse.identifier as sample_barcode
        on sample_barcode.uuid = sample.identifier::uuid
     where identifier.barcode = btrim(:'barcode')::citext
),
candidates as materialized (
    -- a cheap text search first: json keeps the document's text
    select presence_absence_id, received, document, processing_log
      from receiving.presence_absence
     where exists (select from wanted where strpos(lower(document::text), wanted.barcode) > 0)
)
select candidates.presence_absence_id,
       candidates.received,
       well."investigatorId" as barcode,
       well."sampleId" as lims_id,
       well."sampleFailed" as sample_failed,
       well."isCurrentExpressionResult" as current_result,
       json_array_length(well."targetResults") as targets,
       candidates.processing_log
  from candidates,
       json_to_recordset(case when json_typeof(document -> 'samples') = 'array'
                              then document -> 'samples' end)
           as well ("investigatorId" text, "sampleId" text, "sampleFailed" text,
                    "isCurrentExpressionResult" text, "targetResults" json)
 where lower(well."investigatorId") in (select barcode from wanted)
 order by candidates.received, candidates.presence_absence_id;
