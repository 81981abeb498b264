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

delete from receiving.presence_absence
 where presence_absence_id = :'presence_absence_id'::integer
returning presence_absence_id,
          received,
          case when json_typeof(document -> 'samples') = 'array'
               then json_array_length(document -> 'samples') end as wells,
          processing_log;

-- Nothing is committed yet: check the output above, then type commit; to keep the
-- changes, or rollback; to undo them.
