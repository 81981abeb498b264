"""`runbook undo`: put back what a receipt says a committed run changed.

The undo is itself a write snippet, generated from the receipt and run by the same runner: a dry
run unless --commit, with the same rows-changed report, --expect guard and its own receipt
(an undo of an undo redoes). Going through the receipt's rows newest first, it

- re-inserts each deleted row with its original key (every column from the before-image;
  `overriding system value` keeps identity keys),
- gives each updated row its before-image back,
- deletes each inserted row,

and refuses, changing nothing, when a row to re-insert exists again, or when a row to restore
or delete is gone or is no longer the receipt's after-image (someone changed it since). The
refusal names the table and the row's key.

A trigger that sets columns on update (ID3C's `modified` timestamps) sets them again when a row
is restored; the undo says which columns differ from the before-image afterwards (a NOTICE).
"""

from __future__ import annotations

import json
import secrets

from runbook.snippets.runner import ROW_FUNCTION, UNDO_TABLE

CAPTURE_TABLE = UNDO_TABLE + " on commit drop;"

VALUES_FUNCTION = """\
-- The select list that rebuilds columns from a before-image (row p = jsonb_populate_record):
-- p.column, except json columns whose exact text the image carries under runbook_json_text.
create or replace function pg_temp.runbook_values(relation regclass, image jsonb, only_columns text)
returns text language sql as $runbook$
    select string_agg(case when image -> 'runbook_json_text' ? attname
                           then format('(%L)::json', image -> 'runbook_json_text' ->> attname)
                           else 'p.' || quote_ident(attname) end, ', ' order by attnum)
      from pg_attribute
     where attrelid = relation and attnum > 0 and not attisdropped and attgenerated = ''
       and (only_columns is null or quote_ident(attname) = any (string_to_array(only_columns, ', ')))
$runbook$;"""

UNDO_BLOCK = """\
do $runbook$
declare
    r record;
    current jsonb;
    restored jsonb;
    columns text;
    condition text;
    differ text;
begin
    for r in select * from pg_temp.runbook_receipt order by seq desc loop
        current := pg_temp.runbook_row(r.relation::regclass, r.key);
        select string_agg(format('t.%I is not distinct from k.%I', name, name), ' and ')
          into condition
          from jsonb_object_keys(r.key) as name;
        select string_agg(quote_ident(attname), ', ' order by attnum)
          into columns
          from pg_attribute
         where attrelid = r.relation::regclass and attnum > 0 and not attisdropped
           and attgenerated = '';
        if r.op = 'delete' then
            if current is not null then
                raise exception '% row % exists again: refusing to re-insert it (undone already?)',
                    r.relation, r.key;
            end if;
            execute format('insert into %s (%s) overriding system value select %s from jsonb_populate_record(null::%s, $1) as p',
                           r.relation, columns, pg_temp.runbook_values(r.relation::regclass, r.before, null), r.relation)
              using r.before;
            insert into pg_temp.runbook_undo (relation, op, before, key)
            values (r.relation, 'insert', null, r.key);
        else
            if current is null then
                raise exception '% row % is gone since the receipt: refusing to %',
                    r.relation, r.key, case r.op when 'update' then 'restore it' else 'delete it' end;
            end if;
            if current is distinct from r.after and current - 'runbook_json_text' = r.before - 'runbook_json_text' then
                raise exception '% row % already holds its value from before the receipt: refusing to % (undone already?)',
                    r.relation, r.key, case r.op when 'update' then 'restore it again' else 'delete it' end;
            end if;
            if current is distinct from r.after then
                raise exception '% row % changed since the receipt: refusing to %', r.relation, r.key,
                    case r.op when 'update' then 'overwrite it' else 'delete it' end
                    using detail = format('receipt: %s; now: %s', r.after, current);
            end if;
            if r.op = 'update' then
                -- only the columns the run changed: a trigger or a json text elsewhere stays as it is
                select string_agg(quote_ident(attname), ', ' order by attnum)
                  into columns
                  from pg_attribute
                 where attrelid = r.relation::regclass and attnum > 0 and not attisdropped
                   and attgenerated = ''
                   and (r.before -> attname is distinct from r.after -> attname
                        or (r.before ? 'runbook_json_text' and r.before -> 'runbook_json_text' -> attname
                            is distinct from r.after -> 'runbook_json_text' -> attname));
                if columns is null then  -- the run rewrote the same values: rewrite them again
                    select quote_ident(name) into columns from jsonb_object_keys(r.key) as name limit 1;
                end if;
                execute format('update %s as t set (%s) = (select %s from jsonb_populate_record(null::%s, $1) as p) from jsonb_populate_record(null::%s, $2) as k where %s',
                               r.relation, columns, pg_temp.runbook_values(r.relation::regclass, r.before, columns),
                               r.relation, r.relation, condition)
                  using r.before, r.key;
                insert into pg_temp.runbook_undo (relation, op, before, key)
                values (r.relation, 'update', current, r.key);
                restored := pg_temp.runbook_row(r.relation::regclass, r.key);
                select string_agg(name, ', ') into differ
                  from jsonb_object_keys(r.before) as name
                 where restored -> name is distinct from r.before -> name;
                if differ is not null then
                    raise notice '% row %: % set by a trigger, not to the before-image', r.relation, r.key, differ;
                end if;
            else
                execute format('delete from %s as t using jsonb_populate_record(null::%s, $1) as k where %s',
                               r.relation, r.relation, condition)
                  using r.key;
                insert into pg_temp.runbook_undo (relation, op, before, key)
                values (r.relation, 'delete', current, r.key);
            end if;
        end if;
    end loop;
end
$runbook$;"""


DATABASE_GUARD = """\
do $runbook$
begin
    if RECEIPT_DATABASE not in ('', current_database()) then
        raise exception 'the receipt is of database %, but this is database %: connect to the receipt''s database',
            RECEIPT_DATABASE, current_database();
    end if;
end
$runbook$;"""


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class UndoError(RuntimeError):
    """A receipt that cannot be undone (a cancel, a run that never committed)."""


def undo_sql(receipt: dict, name: str) -> str:
    """The write snippet that undoes `receipt` (named `name`), ready for the runner."""
    if receipt.get("irreversible"):
        raise UndoError(f"{name}: {receipt['irreversible']}")
    if receipt.get("status") == "rolled back":
        raise UndoError(f"{name}: that run was rolled back; there is nothing to undo")
    rows = [{k: row.get(k) for k in ("seq", "relation", "op", "key", "before", "after")}
            for row in receipt.get("rows", [])]
    payload = json.dumps(rows, separators=(",", ":"), ensure_ascii=False)
    tag = "$runbook_" + secrets.token_hex(8) + "$"
    while tag in payload:  # pragma: no cover - 64 random bits
        tag = "$runbook_" + secrets.token_hex(8) + "$"
    return "\n".join([
        f"-- title: Undo {name}",
        "-- effect: write",
        "",
        "begin;",
        "",
        "\\set runbook_quiet :QUIET",
        "\\set QUIET on",
        DATABASE_GUARD.replace("RECEIPT_DATABASE", _literal(receipt.get("database") or "")),
        "",
        CAPTURE_TABLE,
        "",
        ROW_FUNCTION,
        "",
        VALUES_FUNCTION,
        "",
        "create temporary table runbook_receipt on commit drop as",
        "select * from jsonb_to_recordset(" + tag + payload + tag + "::jsonb)",
        "    as r(seq bigint, relation text, op text, key jsonb, before jsonb, after jsonb);",
        "",
        UNDO_BLOCK,
        "",
        "\\set QUIET :runbook_quiet",
        "select relation, op, before from pg_temp.runbook_undo order by seq;",
        "",
    ])


def irreversible_note(snippet) -> str | None:
    """The header's `undo:` note of a snippet whose effect no receipt can put back."""
    note = snippet.header.get("undo")
    return str(note) if note else None

