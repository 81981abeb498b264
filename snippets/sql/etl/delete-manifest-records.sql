-- title: Delete the receiving.manifest records of given sample barcodes
-- effect: write
-- tags: [SQL, ETL, manifest]
-- params:
--   sample_barcodes:
--     list: true
--     pattern: ^[0-9A-Fa-f]{8}$
--     example: aaaaaaaa
--     help: sample barcodes not to ingest

-- Shows the manifest documents whose "sample" is one of the barcodes, then deletes them.
-- Refuses when a barcode matches no document (a typo, or already deleted).

select set_config('runbook.sample_barcodes', :'sample_barcodes', true) as sample_barcodes;

do $$
declare
    missing text;
begin
    select string_agg(barcode, ', ' order by barcode) into missing
      from (select distinct lower(btrim(item)) as barcode
              from regexp_split_to_table(current_setting('runbook.sample_barcodes'), ',') as item
             where btrim(item) <> '') as given
     where not exists (select from receiving.manifest
                        where lower(document ->> 'sample') = given.barcode);
    if missing is not null then
        raise exception 'sample_barcodes: no receiving.manifest document has sample %', missing;
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
           select lower(btrim(item)) from regexp_split_to_table(:'sample_barcodes', ',') as item)
 order by manifest_id;

delete from receiving.manifest
 where lower(document ->> 'sample') in (
           select lower(btrim(item)) from regexp_split_to_table(:'sample_barcodes', ',') as item)
returning manifest_id, received, document ->> 'sample' as sample;
