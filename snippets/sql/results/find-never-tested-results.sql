-- title: Find results for samples marked never-tested
-- effect: read
-- tags: [SQL, results, presence-absence]

-- Samples whose details say "note": "never-tested" but that have results from a device other
-- than OpenArray (as the Metabase pulse alert of 2022 checks). Results without a device are
-- not listed, as in that alert.

select sample.sample_id,
       sample_barcode.barcode as sample_barcode,
       presence_absence.presence_absence_id,
       presence_absence.identifier,
       target.identifier as target,
       presence_absence.present,
       presence_absence.details ->> 'device' as device,
       presence_absence.created
  from warehouse.sample
  join warehouse.presence_absence using (sample_id)
  join warehouse.target using (target_id)
  left join warehouse.identifier as sample_barcode
         on sample_barcode.uuid = sample.identifier::uuid
 where sample.details @> '{"note": "never-tested"}'
   and presence_absence.details ->> 'device' <> 'OpenArray'
 order by sample.sample_id, presence_absence.identifier;
