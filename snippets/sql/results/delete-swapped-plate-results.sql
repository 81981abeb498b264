-- title: Delete the results attached through a swapped plate's original LIMS id
-- effect: write
-- tags: [SQL, results, presence-absence]
-- params:
--   lims_id:
--     pattern: ^[A-Za-z0-9_-]+$
--     example: LIMS123456
--     help: the original LIMS id (Samplify sampleId)

-- The presence/absence ETL names each result NWGC/<sampleId>/<target>/<chip> (or without the
-- chip), so the results that came through the original LIMS id are exactly those whose
-- identifier has it as second part. Refuses when there is none (a typo, or already deleted).
-- remaining_results: what the sample keeps (results through its other LIMS ids).

-- A transaction: nothing below is kept until you type commit; (rollback; undoes it).
begin;

select set_config('runbook.lims_id', :'lims_id', true) as lims_id;

do $$
begin
    if not exists (select from warehouse.presence_absence
                    where identifier like 'NWGC/%'
                      and split_part(identifier, '/', 2) = current_setting('runbook.lims_id')) then
        raise exception 'lims_id %: no presence/absence result has an identifier NWGC/%/...',
            current_setting('runbook.lims_id'), current_setting('runbook.lims_id');
    end if;
end
$$;

with deleted as (
    delete from warehouse.presence_absence
     where identifier like 'NWGC/%'
       and split_part(identifier, '/', 2) = :'lims_id'
    returning presence_absence_id, identifier, sample_id, target_id, present
)
select deleted.presence_absence_id,
       deleted.identifier,
       deleted.sample_id,
       target.identifier as target,
       deleted.present,
       (select count(*) from warehouse.presence_absence as kept
         where kept.sample_id = deleted.sample_id
           and split_part(kept.identifier, '/', 2) <> :'lims_id') as remaining_results
  from deleted
  join warehouse.target using (target_id)
 order by deleted.identifier;

-- Nothing is committed yet: check the output above, then type commit; to keep the
-- changes, or rollback; to undo them.
