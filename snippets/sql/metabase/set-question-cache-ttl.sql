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

update report_card
   set cache_ttl = :'cache_ttl'::integer,
       updated_at = now()
 where name = :'question'
returning id, name, cache_ttl, archived, collection_id;

-- Nothing is committed yet: check the output above, then type commit; to keep the
-- changes, or rollback; to undo them.
