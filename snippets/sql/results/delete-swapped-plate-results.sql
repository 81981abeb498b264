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
     where identifier like 'NWGC/%'
       and split_part(identifier, '/', 2) = :'lims_id'
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
       (select count(*) from warehouse.presence_absence as kept
         where kept.sample_id = deleted.sample_id
           and split_part(kept.identifier, '/', 2) <> :'lims_id') as remaining_results
  from deleted
  join warehouse.target using (target_id)
 order by deleted.identifier;

-- The before-images (save them: they are what an undo needs).
select relation, op, before from pg_temp.runbook_undo order by seq;

-- Nothing is committed yet: check the output above, then type commit; to keep the
-- changes, or rollback; to undo them.
