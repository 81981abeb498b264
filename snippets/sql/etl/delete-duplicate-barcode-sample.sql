-- title: Delete the duplicate sample that has no results
-- effect: write
-- tags: [SQL, ETL, manifest]
-- params:
--   sample_ids:
--     list: true
--     type: integer
--     pattern: ^\d+$
--     example: 137871,138045
--     help: the Record(id=...) values of the error

-- Of the samples the error names, deletes those without presence/absence results and keeps
-- the one with results. Refuses (and changes nothing) when an id is unknown, when every sample
-- has results, or when none has (then nothing says which one to keep: ask the lab). A sample
-- whose access_role you lack is invisible (row-level security), so it counts as unknown.

-- A transaction: nothing below is kept until you type commit; (rollback; undoes it).
begin;

select set_config('runbook.sample_ids', :'sample_ids', true) as sample_ids;

do $$
declare
    given integer[] := string_to_array(current_setting('runbook.sample_ids'), ',')::integer[];
    unknown text;
    with_results text;
    without_results text;
begin
    if cardinality(array(select distinct unnest(given))) < 2 then
        raise exception 'sample_ids %: give every Record(id=...) of the error (at least two)', array_to_string(given, ',');
    end if;
    select string_agg(typed.id::text, ', ' order by typed.id) into unknown
      from unnest(given) as typed (id)
     where not exists (select from warehouse.sample where sample.sample_id = typed.id);
    if unknown is not null then
        raise exception 'sample_ids: no sample with id % (or you lack its access role: warehouse.sample has row-level security on access_role, e.g. cascadia)', unknown;
    end if;
    select string_agg(id::text, ', ' order by id) filter (where has_results),
           string_agg(id::text, ', ' order by id) filter (where not has_results)
      into with_results, without_results
      from (select distinct typed.id,
                   exists (select from warehouse.presence_absence
                            where presence_absence.sample_id = typed.id) as has_results
              from unnest(given) as typed (id)) as samples;
    if without_results is null then
        raise exception 'sample_ids: every sample has presence/absence results (%); refusing to delete any', with_results
            using hint = 'Ask the lab which sample is right.';
    end if;
    if with_results is null then
        raise exception 'sample_ids: no sample has presence/absence results (%); nothing tells which one to keep', without_results
            using hint = 'Ask the lab which sample is right.';
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

with gone as (
    delete from warehouse.sample
     where sample_id = any (string_to_array(:'sample_ids', ',')::integer[])
       and not exists (select from warehouse.presence_absence
                        where presence_absence.sample_id = sample.sample_id)
    returning sample.*
),
captured as (
    insert into pg_temp.runbook_undo (relation, op, before, key)
    select 'warehouse.sample', 'delete', to_jsonb(gone), jsonb_build_object('sample_id', gone.sample_id)
      from gone
)
select sample_id, identifier, collection_identifier, encounter_id
  from gone
 order by sample_id;

-- The before-images (save them: they are what an undo needs).
select relation, op, before from pg_temp.runbook_undo order by seq;

-- Nothing is committed yet: check the output above, then type commit; to keep the
-- changes, or rollback; to undo them.
