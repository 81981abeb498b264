-- title: Delete non-OpenArray results of samples marked never-tested
-- effect: write
-- tags: [SQL, results, presence-absence]
-- departs: [never-tested-keep-openarray]

-- Deletes exactly the rows find-never-tested-results lists. Check with the lab first; pass
-- the count that query showed as --expect.

-- A transaction: nothing below is kept until you type commit; (rollback; undoes it).
begin;

with deleted as (
    delete from warehouse.presence_absence
     using warehouse.sample
     where presence_absence.sample_id = sample.sample_id
       and sample.details @> '{"note": "never-tested"}'
       and presence_absence.details ->> 'device' <> 'OpenArray'
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
 order by deleted.sample_id, deleted.identifier;

-- Nothing is committed yet: check the output above, then type commit; to keep the
-- changes, or rollback; to undo them.
