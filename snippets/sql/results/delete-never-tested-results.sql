-- title: Delete non-OpenArray results of samples marked never-tested
-- effect: write
-- tags: [SQL, results, presence-absence]
-- departs: [never-tested-keep-openarray]

-- Deletes exactly the rows find-never-tested-results lists. Check with the lab first; pass
-- the count that query showed as --expect.

-- A transaction: nothing below is kept until you type commit; (rollback; undoes it).
begin;

-- Before-images for undo: every row this changes is recorded here (runbook run reads them
-- into its receipt; pasted, the last query shows them: save that output).
create temporary table if not exists runbook_undo (
    seq bigint generated always as identity,
    relation text not null,   -- schema-qualified, e.g. 'warehouse.presence_absence'
    op text not null check (op in ('delete', 'update', 'insert')),
    before jsonb,             -- to_jsonb(old row) for delete and update, null for insert
    key jsonb not null        -- the row's primary key, e.g. '{"presence_absence_id": 12}'
) on commit drop;

with deleted as (
    delete from warehouse.presence_absence
     using warehouse.sample
     where presence_absence.sample_id = sample.sample_id
       and sample.details @> '{"note": "never-tested"}'
       and presence_absence.details ->> 'device' <> 'OpenArray'
    returning presence_absence.*
),
captured as (
    insert into pg_temp.runbook_undo (relation, op, before, key)
    select 'warehouse.presence_absence', 'delete', to_jsonb(deleted),
           jsonb_build_object('presence_absence_id', deleted.presence_absence_id)
      from deleted
)
select deleted.presence_absence_id,
       deleted.identifier,
       deleted.sample_id,
       target.identifier as target,
       deleted.present,
       deleted.details ->> 'device' as device
  from deleted
  join warehouse.target using (target_id)
 order by deleted.sample_id, deleted.identifier;

-- The before-images (save them: they are what an undo needs).
select relation, op, before from pg_temp.runbook_undo order by seq;

-- Nothing is committed yet: check the output above, then type commit; to keep the
-- changes, or rollback; to undo them.
