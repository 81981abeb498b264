-- title: Show the barcode and identifier set of an identifier uuid
-- effect: read
-- params:
--   identifier:
--     type: uuid
--     example: b3a1f6a2-3c2d-4e5f-8a9b-0c1d2e3faaaa
--     help: the uuid from the error line
-- PLACEHOLDER: body to be written (issue 4)
select 1;
