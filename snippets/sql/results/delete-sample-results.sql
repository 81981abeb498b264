-- title: Delete a sample's incorrect result rows
-- effect: write
-- tags: [SQL, results, presence-absence]
-- params:
--   barcode:
--     pattern: ^[0-9A-Fa-f]{8}$
--     example: aaaaaaaa
--     help: sample or collection barcode

-- Deletes every warehouse.presence_absence row of the one sample that carries the barcode.
-- Refuses when the barcode is unknown, when no sample carries it, or when more than one does.
-- To delete only the results that came through one LIMS id, use
-- delete-swapped-plate-results instead.

-- A transaction: nothing below is kept until you type commit; (rollback; undoes it).
begin;

select set_config('runbook.barcode', :'barcode', true) as barcode;

do $$
declare
    typed citext := btrim(current_setting('runbook.barcode'));
    samples text;
    matches integer;
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
        raise exception 'barcode %: no sample carries it', typed;
    elsif matches > 1 then
        raise exception 'barcode %: % samples carry it (%); refusing to choose', typed, matches, samples;
    end if;
end
$$;

with target_sample as (
    select sample.sample_id
      from warehouse.identifier
      join warehouse.sample
        on sample.identifier = identifier.uuid::text
        or sample.collection_identifier = identifier.uuid::text
     where identifier.barcode = btrim(:'barcode')::citext
),
deleted as (
    delete from warehouse.presence_absence
     using target_sample
     where presence_absence.sample_id = target_sample.sample_id
    returning presence_absence.presence_absence_id, presence_absence.identifier,
              presence_absence.sample_id, presence_absence.target_id, presence_absence.present,
              presence_absence.details ->> 'device' as device
)
select deleted.presence_absence_id,
       deleted.identifier,
       deleted.sample_id,
       target.identifier as target,
       deleted.present,
       deleted.device
  from deleted
  join warehouse.target using (target_id)
 order by deleted.identifier;

-- Nothing is committed yet: check the output above, then type commit; to keep the
-- changes, or rollback; to undo them.
