-- title: Create samples that carry only their sample identifier
-- effect: write
-- params:
--   sample_barcodes:
--     list: true
--     pattern: ^[0-9A-Fa-f]{8}$
--     example: aaaaaaaa,bbbbbbbb
--     help: sample barcodes from the lab's aliquot manifest
-- PLACEHOLDER: body to be written (issue 4)
select 1;
