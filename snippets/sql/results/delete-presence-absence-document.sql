-- title: Delete an incorrect receiving.presence_absence document
-- effect: write
-- params:
--   presence_absence_id:
--     type: integer
--     pattern: ^\d+$
--     example: '4242'
--     help: the receiving document's presence_absence_id
-- PLACEHOLDER: body to be written (issue 4)
select 1;
