-- title: Find the known barcodes closest to a mistyped one
-- effect: read
-- tags: [SQL, ETL, barcodes]
-- params:
--   barcode:
--     pattern: ^[0-9A-Fa-f]{8}$
--     example: aaaaaaab
--     help: the unknown barcode from the log

-- Known barcodes at most 2 edits away, where an edit is a substitution or a swap of two
-- neighbouring characters, closest first, with their identifier sets. ID3C keeps barcodes at
-- least 3 substitutions apart, so a distance of 1 is almost always the intended barcode.
-- Candidates come through the barcode_slices() index that the distance trigger uses.

with typed as (
    select lower(btrim(:'barcode')) as barcode
),
variants as (
    -- the typed barcode (no swap), and each version with two neighbours swapped back
    select barcode as variant, 0 as swaps, null::text as swapped
      from typed
    union all
    select overlay(barcode placing substr(barcode, p + 1, 1) || substr(barcode, p, 1) from p for 2),
           1,
           format('%s and %s', p, p + 1)
      from typed, generate_series(1, length(typed.barcode) - 1) as p
     where substr(barcode, p, 1) <> substr(barcode, p + 1, 1)
),
scored as (
    select identifier.barcode,
           identifier.identifier_set_id,
           variants.swaps,
           variants.swapped,
           (select count(*)
              from generate_series(1, 8) as p
             where substr(lower(identifier.barcode::text), p, 1) <> substr(variants.variant, p, 1))::integer
               as substitutions
      from variants
      join warehouse.identifier
        on public.barcode_slices(identifier.barcode) && public.barcode_slices(variants.variant::citext)
),
best as (
    select distinct on (barcode)
           barcode, identifier_set_id, swaps + substitutions as distance, swaps, swapped, substitutions
      from scored
     where swaps + substitutions <= 2
     order by barcode, swaps + substitutions, swaps
)
select best.barcode,
       identifier_set.name as identifier_set,
       best.distance,
       concat_ws(', ',
           case when best.substitutions > 0 then best.substitutions || ' substitution' || case when best.substitutions > 1 then 's' else '' end end,
           case when best.swaps > 0 then 'characters ' || best.swapped || ' swapped' end,
           case when best.distance = 0 then 'exact match: the barcode is known' end) as difference
  from best
  join warehouse.identifier_set using (identifier_set_id)
 order by best.distance, best.barcode;
