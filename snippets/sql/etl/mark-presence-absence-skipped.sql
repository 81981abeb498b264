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

update receiving.presence_absence
   set processing_log = processing_log || jsonb_build_object(
           'status', 'manually skipped',
           'revision', :'revision'::integer,
           'timestamp', now())
 where presence_absence_id = :'presence_absence_id'::integer
   and not processing_log @> jsonb_build_array(jsonb_build_object('revision', :'revision'::integer))
returning presence_absence_id, received, processing_log;

-- Nothing is committed yet: check the output above, then type commit; to keep the
-- changes, or rollback; to undo them.
