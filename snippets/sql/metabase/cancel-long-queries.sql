-- title: Cancel Metabase queries running longer than N minutes
-- effect: write
-- params:
--   minutes:
--     type: integer
--     pattern: ^\d+$
--     default: '5'
--     help: age in minutes above which a metabase query is cancelled
-- PLACEHOLDER: body to be written (issue 4)
select 1;
