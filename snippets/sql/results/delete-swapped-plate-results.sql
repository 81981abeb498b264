-- title: Delete the results attached through a swapped plate's original LIMS id
-- effect: write
-- params:
--   lims_id:
--     pattern: ^[A-Za-z0-9_-]+$
--     example: LIMS123456
--     help: the original LIMS id (Samplify sampleId)
-- PLACEHOLDER: body to be written (issue 4)
select 1;
