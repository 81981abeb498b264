-- title: List the receiving documents that contain a sample
-- effect: read
-- params:
--   barcode:
--     pattern: ^[0-9A-Fa-f]{8}$
--     example: aaaaaaaa
--     help: sample or collection barcode
-- PLACEHOLDER: body to be written (issue 4)
select 1;
