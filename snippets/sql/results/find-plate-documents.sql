-- title: Find the receiving documents of a plate
-- effect: read
-- params:
--   plate:
--     pattern: ^[A-Za-z]{3}-?\d{3}[A-Za-z]?$
--     example: BAT-049A
--     help: plate name, with or without the dash
-- PLACEHOLDER: body to be written (issue 4)
select 1;
