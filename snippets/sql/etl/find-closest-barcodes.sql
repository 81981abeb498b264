-- title: Find the known barcodes closest to a mistyped one
-- effect: read
-- params:
--   barcode:
--     pattern: ^[0-9A-Fa-f]{8}$
--     example: aaaaaaab
--     help: the unknown barcode from the log
-- PLACEHOLDER: body to be written (issue 4)
select 1;
