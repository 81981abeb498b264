-- title: Show the identifier sets of barcodes
-- effect: read
-- params:
--   barcodes:
--     list: true
--     pattern: ^[0-9A-Fa-f]{8}$
--     example: aaaaaaaa,bbbbbbbb,cccccccc
--     help: the affected collection barcodes
-- PLACEHOLDER: body to be written (issue 4)
select 1;
