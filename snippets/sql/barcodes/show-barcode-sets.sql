-- title: Show the identifier sets of barcodes
-- effect: read
-- tags: [SQL, barcodes]
-- params:
--   barcodes:
--     list: true
--     pattern: ^[0-9A-Fa-f]{8}$
--     example: aaaaaaaa,bbbbbbbb,cccccccc
--     help: the affected collection barcodes

-- Each barcode with its set (empty when the barcode is unknown), then a count per set. Go on
-- only when every barcode is known and all are in the set you expect.

with given as (
    select distinct lower(btrim(item)) as barcode
      from regexp_split_to_table(:'barcodes', ',') as item
     where btrim(item) <> ''
)
select given.barcode,
       identifier_set.name as identifier_set,
       identifier_set.use,
       identifier_set.identifier_set_id,
       identifier.uuid
  from given
  left join warehouse.identifier on identifier.barcode = given.barcode::citext
  left join warehouse.identifier_set using (identifier_set_id)
 order by identifier_set.name nulls first, given.barcode;

with given as (
    select distinct lower(btrim(item)) as barcode
      from regexp_split_to_table(:'barcodes', ',') as item
     where btrim(item) <> ''
)
select coalesce(identifier_set.name, '(unknown barcode)') as identifier_set,
       count(*) as barcodes
  from given
  left join warehouse.identifier on identifier.barcode = given.barcode::citext
  left join warehouse.identifier_set using (identifier_set_id)
 group by 1
 order by 1;
