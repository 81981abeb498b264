-- title: Delete an incorrect receiving.presence_absence document
-- effect: write
-- tags: [SQL, results, presence-absence]
-- params:
--   presence_absence_id:
--     type: integer
--     pattern: ^\d+$
--     example: '4242'
--     help: the receiving document's presence_absence_id

-- Deletes the document so that a later revision bump does not ingest its results again.
-- Refuses when there is no such document.

-- A transaction: nothing below is kept until you type commit; (rollback; undoes it).
begin;

select set_config('runbook.presence_absence_id', :'presence_absence_id', true) as presence_absence_id;

do $$
begin
    if not exists (select from receiving.presence_absence
                    where presence_absence_id = current_setting('runbook.presence_absence_id')::integer) then
        raise exception 'presence_absence_id %: no such document in receiving.presence_absence',
            current_setting('runbook.presence_absence_id');
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
    delete from receiving.presence_absence
     where presence_absence_id = :'presence_absence_id'::integer
    returning presence_absence.*
),
captured as (
    insert into pg_temp.runbook_undo (relation, op, before, key)
    select 'receiving.presence_absence', 'delete',
           -- document is json, kept as received: its exact text, which to_jsonb would normalise
           to_jsonb(gone) || jsonb_build_object('runbook_json_text',
                                                jsonb_build_object('document', gone.document::text)),
           jsonb_build_object('presence_absence_id', gone.presence_absence_id)
      from gone
)
select presence_absence_id,
       received,
       case when json_typeof(document -> 'samples') = 'array'
            then json_array_length(document -> 'samples') end as wells,
       processing_log
  from gone;

-- The before-images (save them: they are what an undo needs).
select relation, op, before from pg_temp.runbook_undo order by seq;

-- Nothing is committed yet: check the output above, then type commit; to keep the
-- changes, or rollback; to undo them.
