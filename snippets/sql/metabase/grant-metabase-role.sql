-- title: Grant the metabase role to an admin user
-- effect: write
-- tags: [SQL, Metabase]
-- params:
--   admin_role:
--     type: identifier
--     example: alice_admin
--     help: your admin database user
-- undo: role membership is not a table row, so no receipt holds it; to take it back, revoke metabase from the admin role
-- database: metabase

-- Run as a superuser (or a role with ADMIN OPTION on metabase) on the server that holds
-- Metabase's application database; roles are server-wide. Membership lets the admin update
-- report_card, which the metabase login owns. The role name is quoted as an identifier.

-- A transaction: nothing below is kept until you type commit; (rollback; undoes it).
begin;

select set_config('runbook.admin_role', :'admin_role', true) as admin_role;

do $$
begin
    if not exists (select from pg_roles where rolname = 'metabase') then
        raise exception 'there is no role metabase on this server: connect to the server of Metabase''s application database';
    end if;
    if not exists (select from pg_roles where rolname = current_setting('runbook.admin_role')) then
        raise exception 'admin_role %: no such role on this server', current_setting('runbook.admin_role');
    end if;
end
$$;

grant metabase to :"admin_role";

select rolname as admin_role,
       pg_has_role(oid, 'metabase', 'member') as member_of_metabase
  from pg_roles
 where rolname = :'admin_role';

-- Nothing is committed yet: check the output above, then type commit; to keep the
-- changes, or rollback; to undo them.
