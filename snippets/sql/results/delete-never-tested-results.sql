-- title: Delete non-OpenArray results of samples marked never-tested
-- effect: write
-- PLACEHOLDER: body to be written (issue 4)
select 1;
