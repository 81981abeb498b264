-- title: Grant the metabase role to an admin user
-- effect: write
-- params:
--   admin_role:
--     type: identifier
--     example: alice_admin
--     help: your admin database user
-- PLACEHOLDER: body to be written (issue 4)
select 1;
