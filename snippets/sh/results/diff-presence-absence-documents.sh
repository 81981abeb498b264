#!/usr/bin/env bash
# title: Diff two receiving.presence_absence documents
# effect: read
# tags: [shell, results]
# params:
#   OLD_ID:
#     type: integer
#     pattern: ^\d+$
#     example: '4241'
#     help: presence_absence_id of the incorrect document
#   NEW_ID:
#     type: integer
#     pattern: ^\d+$
#     example: '4242'
#     help: presence_absence_id of the updated document
# connection: >-
#   psql reads the libpq environment: PGSERVICE (a section of ~/.pg_service.conf, e.g.
#   seattleflu-production), or PGHOST, PGPORT, PGDATABASE and PGUSER, with the password in
#   ~/.pgpass. Nothing is written to the database.
# notes: >-
#   Exports both documents with psql (unaligned, tuples only: the json text exactly as stored),
#   sorts their keys with jq -S, flattens each value to one line named by its path (samples by
#   investigatorId, target results by geneTarget, other list items by position), and prints only
#   the lines that differ: "-" from OLD_ID, "+" from NEW_ID. Works in a mktemp -d folder that it
#   removes on exit. Needs psql and jq.

# The parentheses run the snippet in a subshell: pasted into your shell, `set -e` and `exit`
# stop the snippet, not your shell.
(
set -euo pipefail
: "${OLD_ID:?presence_absence_id of the incorrect document}"
: "${NEW_ID:?presence_absence_id of the updated document}"
for name in OLD_ID NEW_ID; do
    if ! [[ ${!name} =~ ^[0-9]+$ ]]; then
        echo "$name must be a presence_absence_id (digits only), not '${!name}'" >&2
        exit 2
    fi
done
for tool in psql jq diff; do
    command -v "$tool" >/dev/null || { echo "$tool is not installed here" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The id goes in as a psql variable (:'id' is quoted by psql), never pasted into the SQL text.
# psql -At writes the json text as stored; \copy would escape it as COPY text.
export_document() {  # export_document ID FILE
    psql -X -q -At -v ON_ERROR_STOP=1 -v id="$1" -o "$2" <<'SQL'
select document from receiving.presence_absence where presence_absence_id = :'id';
SQL
    if ! [[ -s $2 ]]; then
        echo "No receiving.presence_absence row has presence_absence_id $1" >&2
        exit 1
    fi
}

# One line per value: its path, then its JSON value. Samples are named by investigatorId and
# target results by geneTarget, so a reordered plate still lines up.
# shellcheck disable=SC2016  # the $ signs are jq's, not the shell's
flatten='
def flat($p):
  if type == "object" and length > 0 then
    to_entries[] | .key as $k | .value | flat("\($p).\($k)")
  elif type == "array" and length > 0 then
    to_entries[] | .key as $i | .value
    | ((if type == "object" then (.investigatorId // .geneTarget) else null end) // $i) as $l
    | flat("\($p)[\($l)]")
  else "\($p) = \(tojson)"
  end;
flat("")'

for side in old new; do
    if [[ $side == old ]]; then id=$OLD_ID; else id=$NEW_ID; fi
    export_document "$id" "$work/$side.json"
    jq -S . "$work/$side.json" >"$work/$side.sorted.json"
    jq -r "$flatten" "$work/$side.sorted.json" | LC_ALL=C sort >"$work/$side.lines"
done

echo "presence_absence_id $OLD_ID (-) against $NEW_ID (+), only what differs:"
status=0
diff --unchanged-line-format='' --old-line-format='- %L' --new-line-format='+ %L' \
    "$work/old.lines" "$work/new.lines" >"$work/diff" || status=$?
case $status in
    0) echo "The two documents hold the same values." ;;
    1) cat "$work/diff"
       echo "$(grep -c '^-' "$work/diff") value(s) only in $OLD_ID, $(grep -c '^+' "$work/diff") only in $NEW_ID." ;;
    *) echo "diff failed (exit $status)" >&2; exit "$status" ;;
esac
)
