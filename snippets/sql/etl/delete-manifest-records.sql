-- title: Delete the receiving.manifest records of given sample barcodes
-- effect: write
-- params:
--   sample_barcodes:
--     list: true
--     pattern: ^[0-9A-Fa-f]{8}$
--     example: aaaaaaaa
--     help: sample barcodes not to ingest
-- PLACEHOLDER: body to be written (issue 4)
select 1;
