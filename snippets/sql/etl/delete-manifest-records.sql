-- title: Delete the receiving.manifest records of given barcodes
-- effect: write
-- tags: [SQL, ETL, manifest]
-- params:
--   barcodes:
--     list: true
--     pattern: ^[0-9A-Fa-f]{8}$
--     example: aaaaaaaa
--     help: sample or collection barcodes of the manifest records not to ingest
--   manifest_ids:
--     list: true
--     default: all
--     pattern: ^(all|\d+)$
--     help: only these manifest_ids among the barcodes' records (all = every one of them)

-- Lists the manifest documents whose "sample" or "collection" is one of the barcodes (a sample
-- from a study arm we do not ingest, or a collection from a set we must not ingest, such as
-- collections-clia-compliance), then deletes them, or only those of them named in
-- manifest_ids. A sample barcode also matches a later record that carries the same sample
-- with a corrected collection: the listing shows every record, and a notice names each
-- barcode with more than one; give manifest_ids to keep the good ones. Refuses, changing
-- nothing, when a barcode matches no document or a manifest_id is not one of the barcodes'
-- records. Needs DELETE on receiving.manifest: no role of the ID3C schema has it (the table
-- owner or an admin).

-- A transaction: nothing below is kept until you type commit; (rollback; undoes it).
begin;

select set_config('runbook.barcodes', :'barcodes', true) as barcodes,
       set_config('runbook.manifest_ids', :'manifest_ids', true) as manifest_ids;

-- The barcodes' records, frozen for this transaction; chosen: deleted unless manifest_ids
-- leaves them out.
create temporary table runbook_scope on commit drop as
with given as (
    select distinct lower(btrim(item)) as barcode
      from regexp_split_to_table(current_setting('runbook.barcodes'), ',') as item
     where btrim(item) <> ''
),
ids as (
    select btrim(item) as item
      from regexp_split_to_table(current_setting('runbook.manifest_ids'), ',') as item
)
select manifest.manifest_id,
       manifest.received,
       manifest.document ->> 'sample' as sample,
       manifest.document ->> 'collection' as collection,
       (select string_agg(barcode, ',' order by barcode) from given
         where given.barcode in (lower(manifest.document ->> 'sample'), lower(manifest.document ->> 'collection')))
           as matched_barcodes,
       exists (select from ids where ids.item = 'all' or ids.item = manifest.manifest_id::text) as chosen,
       manifest.processing_log,
       manifest.document
  from receiving.manifest
 where lower(manifest.document ->> 'sample') in (select barcode from given)
    or lower(manifest.document ->> 'collection') in (select barcode from given);

do $$
declare
    missing text;
    strangers text;
    several text;
begin
    select string_agg(barcode, ', ' order by barcode) into missing
      from (select distinct lower(btrim(item)) as barcode
              from regexp_split_to_table(current_setting('runbook.barcodes'), ',') as item
             where btrim(item) <> '') as given
     where not exists (select from pg_temp.runbook_scope as scope
                        where given.barcode = any (string_to_array(scope.matched_barcodes, ',')));
    if missing is not null then
        raise exception 'barcodes: no receiving.manifest document has sample or collection %', missing;
    end if;
    select string_agg(item, ', ' order by item) into strangers
      from (select btrim(item) as item
              from regexp_split_to_table(current_setting('runbook.manifest_ids'), ',') as item) as ids
     where item <> 'all'
       and not exists (select from pg_temp.runbook_scope where manifest_id::text = ids.item);
    if strangers is not null then
        raise exception 'manifest_ids: % not among the records of barcodes % (see the listing of manifest_ids=all)',
            strangers, current_setting('runbook.barcodes');
    end if;
    if current_setting('runbook.manifest_ids') = 'all' then
        select string_agg(format('%s (manifest_ids %s)', barcode, ids), '; ' order by barcode) into several
          from (select barcode, string_agg(scope.manifest_id::text, ',' order by scope.manifest_id) as ids
                  from pg_temp.runbook_scope as scope,
                       unnest(string_to_array(scope.matched_barcodes, ',')) as barcode
                 group by barcode
                having count(*) > 1) as multiple;
        if several is not null then
            raise notice 'more than one record per barcode: %. A later one may be the corrected record: to keep it, give manifest_ids',
                several;
        end if;
    end if;
end
$$;

-- The documents, and which of them are deleted
select manifest_id,
       case when chosen then 'delete' else 'keep (not in manifest_ids)' end as action,
       received,
       sample,
       collection,
       processing_log,
       document
  from pg_temp.runbook_scope
 order by manifest_id;

-- Before-images of every row this snippet changes (the receipt reads them).
create temporary table if not exists runbook_undo (
    seq bigint generated always as identity,
    relation text not null,
    op text not null check (op in ('delete', 'update', 'insert')),
    before jsonb,
    key jsonb not null
) on commit drop;

with gone as (
    delete from receiving.manifest
     using pg_temp.runbook_scope as scope
     where manifest.manifest_id = scope.manifest_id
       and scope.chosen
    returning manifest.*
)
insert into pg_temp.runbook_undo (relation, op, before, key)
select 'receiving.manifest', 'delete',
       -- document is json, kept as received: its exact text, which to_jsonb would normalise
       to_jsonb(gone) || jsonb_build_object('runbook_json_text',
                                            jsonb_build_object('document', gone.document::text)),
       jsonb_build_object('manifest_id', gone.manifest_id)
  from gone;

select relation, op, before from pg_temp.runbook_undo order by seq;

-- Nothing is committed yet: check the output above, then type commit; to keep the
-- changes, or rollback; to undo them.
