-- title: Delete the receiving.manifest records of given barcodes
-- effect: write
-- tags: [SQL, ETL, manifest]
-- params:
--   barcodes:
--     list: true
--     pattern: ^[0-9A-Fa-f]{8}$
--     example: aaaaaaaa
--     help: sample or collection barcodes of the manifest records not to ingest

-- Shows the manifest documents whose "sample" or "collection" is one of the barcodes (a sample
-- from a study arm we do not ingest, or a collection from a set we must not ingest, such as
-- collections-clia-compliance), then deletes them. Barcodes are unique across sets, so a
-- barcode matches only the records it names. Refuses when a barcode matches no document.

-- A transaction: nothing below is kept until you type commit; (rollback; undoes it).
begin;

select set_config('runbook.barcodes', :'barcodes', true) as barcodes;

do $$
declare
    missing text;
begin
    select string_agg(barcode, ', ' order by barcode) into missing
      from (select distinct lower(btrim(item)) as barcode
              from regexp_split_to_table(current_setting('runbook.barcodes'), ',') as item
             where btrim(item) <> '') as given
     where not exists (select from receiving.manifest
                        where lower(document ->> 'sample') = given.barcode
                           or lower(document ->> 'collection') = given.barcode);
    if missing is not null then
        raise exception 'barcodes: no receiving.manifest document has sample or collection %', missing;
    end if;
end
$$;

-- The documents
select manifest_id,
       received,
       document ->> 'sample' as sample,
       document ->> 'collection' as collection,
       processing_log,
       document
  from receiving.manifest
 where lower(document ->> 'sample') in (
           select lower(btrim(item)) from regexp_split_to_table(:'barcodes', ',') as item)
    or lower(document ->> 'collection') in (
           select lower(btrim(item)) from regexp_split_to_table(:'barcodes', ',') as item)
 order by manifest_id;

delete from receiving.manifest
 where lower(document ->> 'sample') in (
           select lower(btrim(item)) from regexp_split_to_table(:'barcodes', ',') as item)
    or lower(document ->> 'collection') in (
           select lower(btrim(item)) from regexp_split_to_table(:'barcodes', ',') as item)
returning manifest_id, received, document ->> 'sample' as sample, document ->> 'collection' as collection;

-- Nothing is committed yet: check the output above, then type commit; to keep the
-- changes, or rollback; to undo them.
