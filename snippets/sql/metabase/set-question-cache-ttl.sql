-- title: Set the cache TTL of a Metabase question by name
-- effect: write
-- tags: [SQL, Metabase]
-- departs: [metabase-cache-app-db]
-- params:
--   question:
--     example: Daily results
--     help: the question's exact name (report_card.name)
--   cache_ttl:
--     type: integer
--     pattern: ^\d+$
--     example: '0'
--     help: the question's cache lifetime (seconds in the Metabase of 2021, hours in recent ones); 0 disables caching
--   cards:
--     type: integer
--     pattern: ^[1-9]\d*$
--     default: '1'
--     help: how many cards have this name; names are not unique, so it refuses unless exactly this many match
-- database: metabase

-- Run in Metabase's application database (not ID3C's). report_card.name is not unique:
-- the snippet refuses, changing nothing, unless exactly `cards` cards (archived included)
-- have the name.

-- A transaction: nothing below is kept until you type commit; (rollback; undoes it).
begin;

select set_config('runbook.question', :'question', true) as question,
       set_config('runbook.cards', :'cards', true) as cards;

do $$
declare
    named integer;
    ids text;
begin
    select count(*), string_agg(id::text, ', ' order by id) into named, ids
      from report_card
     where name = current_setting('runbook.question');
    if named = 0 then
        raise exception 'question %: no card has this name', quote_literal(current_setting('runbook.question'));
    end if;
    if named <> current_setting('runbook.cards')::integer then
        raise exception 'question %: % cards have this name (ids %), but cards is %',
            quote_literal(current_setting('runbook.question')), named, ids, current_setting('runbook.cards')
            using hint = format('Look at them in Metabase; to change all of them, pass cards=%s.', named);
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
    select report_card.*
      from report_card
     where name = :'question'
       for update
),
captured as (
    insert into pg_temp.runbook_undo (relation, op, before, key)
    select 'public.report_card', 'update', to_jsonb(old), jsonb_build_object('id', old.id)
      from old
)
update report_card
   set cache_ttl = :'cache_ttl'::integer,
       updated_at = now()
  from old
 where report_card.id = old.id
returning report_card.id, report_card.name, report_card.cache_ttl, report_card.archived,
          report_card.collection_id;

-- The before-images (save them: they are what an undo needs).
select relation, op, before from pg_temp.runbook_undo order by seq;

-- Nothing is committed yet: check the output above, then type commit; to keep the
-- changes, or rollback; to undo them.
