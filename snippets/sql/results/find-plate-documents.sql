-- title: Find the receiving documents of a plate
-- effect: read
-- tags: [SQL, results, presence-absence]
-- departs: [plate-name-forms]
-- params:
--   plate:
--     pattern: ^[A-Za-z]{3}-?\d{3}[A-Za-z]?$
--     example: BAT-049A
--     help: plate name, with or without the dash

-- The documents have no plate field, but (per the 2021 guide, the only source) the control
-- wells' investigatorId starts with the plate name. The guide writes the plate BAT049A and its
-- investigatorId BAT-049A...; dashes are ignored on both sides, so either spelling of the name
-- finds either spelling of the investigatorId. document is json, not jsonb: this uses the json
-- functions (json_to_recordset), which is what that column needs.

with plate as (
    select upper(replace(btrim(:'plate'), '-', '')) as prefix
)
select presence_absence_id,
       received,
       count(*) as matching_wells,
       string_agg(distinct well."investigatorId", ', ') as investigator_ids,
       json_array_length(document -> 'samples') as wells_in_document,
       processing_log
  from plate,
       receiving.presence_absence,
       json_to_recordset(case when json_typeof(document -> 'samples') = 'array'
                              then document -> 'samples' end) as well ("investigatorId" text)
 where starts_with(upper(replace(well."investigatorId", '-', '')), plate.prefix)
 group by presence_absence_id
 order by presence_absence_id;
