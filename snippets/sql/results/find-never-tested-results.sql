-- title: Find results for samples marked never-tested
-- effect: read
-- PLACEHOLDER: body to be written (issue 4)
select 1;
