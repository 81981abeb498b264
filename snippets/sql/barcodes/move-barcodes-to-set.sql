-- title: Move barcodes to another identifier set, by set name
-- effect: write
-- tags: [SQL, barcodes]
-- params:
--   barcodes:
--     list: true
--     pattern: ^[0-9A-Fa-f]{8}$
--     example: aaaaaaaa,bbbbbbbb,cccccccc
--     help: the affected collection barcodes
--   from_set:
--     pattern: ^[a-z0-9.:/&_-]+$
--     example: collections-kiosks-asymptomatic
--     help: the set they are in now
--   to_set:
--     pattern: ^[a-z0-9.:/&_-]+$
--     example: collections-scan-kiosks
--     help: the set they belong in

-- Sets are named, not numbered: identifier_set_id values differ between databases. Refuses,
-- changing nothing, when a set does not exist, when the two sets have different uses, when a
-- barcode is unknown, or when any barcode is not in from_set. Needs the table owner or an
-- admin: no ID3C role may update warehouse.identifier.

-- A transaction: nothing below is kept until you type commit; (rollback; undoes it).
begin;

select set_config('runbook.barcodes', :'barcodes', true) as barcodes,
       set_config('runbook.from_set', :'from_set', true) as from_set,
       set_config('runbook.to_set', :'to_set', true) as to_set;

do $$
declare
    given citext[] := array(
        select distinct lower(btrim(item))::citext
          from regexp_split_to_table(current_setting('runbook.barcodes'), ',') as item
         where btrim(item) <> '');
    from_name text := current_setting('runbook.from_set');
    to_name text := current_setting('runbook.to_set');
    from_use citext;
    to_use citext;
    unknown text;
    elsewhere text;
begin
    select use into from_use from warehouse.identifier_set where name = from_name;
    if not found then
        raise exception 'from_set %: no identifier set has this name', from_name;
    end if;
    select use into to_use from warehouse.identifier_set where name = to_name;
    if not found then
        raise exception 'to_set %: no identifier set has this name', to_name;
    end if;
    if from_name = to_name then
        raise exception 'to_set %: the barcodes would stay in from_set', to_name;
    end if;
    if from_use <> to_use then
        raise exception 'to_set %: it is a % set, but from_set % is a % set', to_name, to_use, from_name, from_use;
    end if;
    select string_agg(typed.code::text, ', ' order by typed.code) into unknown
      from unnest(given) as typed (code)
     where not exists (select from warehouse.identifier where identifier.barcode = typed.code);
    if unknown is not null then
        raise exception 'barcodes: unknown barcode(s) %', unknown;
    end if;
    select string_agg(format('%s in %s', identifier.barcode, identifier_set.name), ', ' order by identifier.barcode)
      into elsewhere
      from warehouse.identifier
      join warehouse.identifier_set using (identifier_set_id)
     where identifier.barcode = any (given)
       and identifier_set.name <> from_name;
    if elsewhere is not null then
        raise exception 'barcodes: not all in from_set %: %', from_name, elsewhere
            using hint = 'All barcodes must come from one set, from_set. Check them with show-barcode-sets.';
    end if;
end
$$;

-- Before-images for undo: every row this changes is recorded here (runbook run reads them
-- into its receipt; pasted, the last query shows them: save that output).
create temporary table if not exists runbook_undo (
    seq bigint generated always as identity,
    relation text not null,   -- schema-qualified, e.g. 'warehouse.presence_absence'
    op text not null check (op in ('delete', 'update', 'insert')),
    before jsonb,             -- to_jsonb(old row) for delete and update, null for insert
    key jsonb not null        -- the row's primary key, e.g. '{"presence_absence_id": 12}'
) on commit drop;

with old as (
    select identifier.*
      from warehouse.identifier
     where barcode = any (array(select lower(btrim(item)) from regexp_split_to_table(:'barcodes', ',') as item)::citext[])
       and identifier_set_id = (select identifier_set_id from warehouse.identifier_set where name = :'from_set')
       for update
),
captured as (
    insert into pg_temp.runbook_undo (relation, op, before, key)
    select 'warehouse.identifier', 'update', to_jsonb(old), jsonb_build_object('uuid', old.uuid)
      from old
),
moved as (
    update warehouse.identifier
       set identifier_set_id = (select identifier_set_id from warehouse.identifier_set where name = :'to_set')
      from old
     where identifier.uuid = old.uuid
    returning identifier.barcode, identifier.uuid, identifier.identifier_set_id
)
select moved.barcode,
       :'from_set'::text as from_set,
       identifier_set.name as to_set,
       moved.uuid
  from moved
  join warehouse.identifier_set using (identifier_set_id)
 order by moved.barcode;

-- The before-images (save them: they are what an undo needs).
select relation, op, before from pg_temp.runbook_undo order by seq;

-- Nothing is committed yet: check the output above, then type commit; to keep the
-- changes, or rollback; to undo them.
