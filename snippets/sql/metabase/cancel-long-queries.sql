-- title: Cancel Metabase queries running longer than N minutes
-- effect: write
-- tags: [SQL, Metabase]
-- params:
--   minutes:
--     pattern: ^\d+(\.\d+)?$
--     default: '5'
--     help: age in minutes (decimals allowed, 0.5 is 30 s) above which a metabase query is cancelled
-- departs: [metabase-slow-age]
-- undo: a cancelled query cannot be resumed (Metabase runs it again when asked); the receipt lists what was cancelled

-- Run in the ID3C database, where Metabase's queries run as the login `metabase`. Cancelling
-- (pg_cancel_backend) stops the query, not the session, and cannot be rolled back: a pasted
-- copy cancels at once. Under `runbook run` without --commit it only lists what it would
-- cancel. Backoffice's cron job (bin/terminate-old-metabase-sessions, every minute) does
-- something harsher: it terminates (pg_terminate_backend) metabase connections active for more
-- than 10 minutes since state_change; their clients see "terminating connection due to
-- administrator command", where a cancel shows "canceling statement due to user request".

-- A transaction, like every write snippet's; but a cancel acts at once, pasted or not
-- (only `runbook run` without --commit lists instead of cancelling).
begin;

select pid,
       usename,
       datname,
       date_trunc('second', clock_timestamp() - query_start) as running_for,
       left(regexp_replace(query, '\s+', ' ', 'g'), 100) as query,
       case
           when current_setting('runbook.dry_run', true) = 'on' then 'would cancel (dry run)'
           when pg_cancel_backend(pid) then 'cancelled'
           else 'not cancelled'
       end as action
  from pg_stat_activity
 where usename = 'metabase'
   and state = 'active'
   and pid <> pg_backend_pid()
   and clock_timestamp() - query_start > :'minutes'::float8 * interval '1 minute'
 order by query_start;

-- The cancels have happened; end the transaction with rollback; (it holds no change).
