-- title: Mark a receiving.presence_absence document as manually skipped
-- effect: write
-- tags: [SQL, ETL, presence-absence]
-- params:
--   presence_absence_id:
--     type: integer
--     pattern: ^\d+$
--     example: '4242'
--     help: the group number N from 'Rolling back to savepoint presence_absence group N'
--   revision:
--     type: integer
--     pattern: ^\d+$
--     default: '8'
--     help: the presence-absence ETL's current REVISION (8 since April 2020)

-- The ETL picks documents whose log lacks its revision:
--     where not processing_log @> '[{"revision": <REVISION>}]'
-- so the entry must carry the current revision, as a JSON number. It is appended to the log;
-- earlier entries stay. A document already logged at this revision is left as it is.

-- A transaction: nothing below is kept until you type commit; (rollback; undoes it).
begin;

select set_config('runbook.presence_absence_id', :'presence_absence_id', true) as presence_absence_id,
       set_config('runbook.revision', :'revision', true) as revision;

do $$
declare
    wanted integer := current_setting('runbook.presence_absence_id')::integer;
    revision integer := current_setting('runbook.revision')::integer;
    latest integer;
begin
    if not exists (select from receiving.presence_absence where presence_absence_id = wanted) then
        raise exception 'presence_absence_id %: no such document in receiving.presence_absence', wanted;
    end if;
    -- A revision older than one the ETL has already logged would not skip anything.
    select max((entry ->> 'revision')::integer) into latest
      from receiving.presence_absence, jsonb_array_elements(processing_log) as entry
     where jsonb_typeof(entry -> 'revision') = 'number';
    if latest > revision then
        raise exception 'revision %: the ETL already logs revision %, so revision % would not skip the document', revision, latest, revision
            using hint = 'Use the presence-absence ETL''s current REVISION.';
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

with old as (
    select presence_absence.*
      from receiving.presence_absence
     where presence_absence_id = :'presence_absence_id'::integer
       and not processing_log @> jsonb_build_array(jsonb_build_object('revision', :'revision'::integer))
       for update
),
captured as (
    insert into pg_temp.runbook_undo (relation, op, before, key)
    select 'receiving.presence_absence', 'update', to_jsonb(old),
           jsonb_build_object('presence_absence_id', old.presence_absence_id)
      from old
)
update receiving.presence_absence
   set processing_log = presence_absence.processing_log || jsonb_build_object(
           'status', 'manually skipped',
           'revision', :'revision'::integer,
           'timestamp', now())
  from old
 where presence_absence.presence_absence_id = old.presence_absence_id
returning presence_absence.presence_absence_id, presence_absence.received, presence_absence.processing_log;

-- The before-images (save them: they are what an undo needs).
select relation, op, before from pg_temp.runbook_undo order by seq;

-- Nothing is committed yet: check the output above, then type commit; to keep the
-- changes, or rollback; to undo them.
