-- title: Delete a sample's incorrect result rows
-- effect: write
-- params:
--   barcode:
--     pattern: ^[0-9A-Fa-f]{8}$
--     example: aaaaaaaa
--     help: sample or collection barcode
-- PLACEHOLDER: body to be written (issue 4)
select 1;
