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
#   KEEP_DIR:
#     example: ~/retro-failed-aaaaaaaa
#     help: private folder (created mode 700) that keeps both documents as stored
# connection: >-
#   psql reads the libpq environment: PGSERVICE (a section of ~/.pg_service.conf, e.g.
#   seattleflu-production), or PGHOST, PGPORT, PGDATABASE and PGUSER, with the password in
#   ~/.pgpass. Nothing is written to the database.
# notes: >-
#   Exports both documents with psql (unaligned, tuples only: the json text exactly as stored),
#   sorts their keys with jq -S, flattens each value to one line named by its path (samples by
#   investigatorId, target results by geneTarget, other list items by position), and prints only
#   the lines that differ: "-" from OLD_ID, "+" from NEW_ID. Keeps both documents, exactly as
#   stored, as KEEP_DIR/presence_absence-<id>.json (the copy to have before a document is
#   deleted) and prints their paths. KEEP_DIR is created with mode 700; an existing one must be
#   yours and closed to others. A kept copy is never overwritten by a different one. The
#   working files sit in a folder inside KEEP_DIR, removed on exit. Needs psql and jq.

# The parentheses run the snippet in a subshell: pasted into your shell, `set -e` and `exit`
# stop the snippet, not your shell.
(
set -euo pipefail
: "${OLD_ID:?presence_absence_id of the incorrect document}"
: "${NEW_ID:?presence_absence_id of the updated document}"
: "${KEEP_DIR:?private folder (created mode 700) that keeps both documents as stored}"
for name in OLD_ID NEW_ID; do
    if ! [[ ${!name} =~ ^[0-9]+$ ]]; then
        echo "$name must be a presence_absence_id (digits only), not '${!name}'" >&2
        exit 2
    fi
done
for tool in psql jq diff; do
    command -v "$tool" >/dev/null || { echo "$tool is not installed here" >&2; exit 1; }
done

KEEP_DIR=${KEEP_DIR/#\~/$HOME}  # a quoted ~/... was not expanded by the shell
# The documents hold results of participants: they go into a folder only you can open.
if [[ -e $KEEP_DIR && ! -d $KEEP_DIR ]]; then
    echo "KEEP_DIR: '$KEEP_DIR' exists and is not a folder" >&2
    exit 2
fi
if [[ ! -d $KEEP_DIR ]]; then
    (umask 077 && mkdir -p -- "$KEEP_DIR")
    chmod 700 -- "$KEEP_DIR"
fi
if ! [[ -O $KEEP_DIR ]]; then
    echo "KEEP_DIR: '$KEEP_DIR' is not yours: name a folder of your own" >&2
    exit 2
fi
# shellcheck disable=SC2012  # one named folder; ls -ld is the portable way to read its mode (GNU and BSD)
mode=$(ls -ld -- "$KEEP_DIR" | cut -c1-10)
if [[ ${mode:4:6} != ------ ]]; then
    echo "KEEP_DIR: '$KEEP_DIR' is open to others ($mode): chmod 700 it, or name a new folder" >&2
    exit 2
fi
keep=$(cd -- "$KEEP_DIR" && pwd -P)

work=$(mktemp -d "$keep/.diff.XXXXXX")
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

# Keep both copies; an existing copy stays unless it is the same text.
for side in old new; do
    if [[ $side == old ]]; then id=$OLD_ID; else id=$NEW_ID; fi
    copy=$keep/presence_absence-$id.json
    if [[ -e $copy ]] && ! cmp -s "$work/$side.json" "$copy"; then
        echo "$copy already exists with other text: left as it is (move it away to save a new copy)" >&2
        exit 1
    fi
    cp -- "$work/$side.json" "$copy"
    chmod 600 -- "$copy"
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
echo "Kept, as stored: $keep/presence_absence-$OLD_ID.json and $keep/presence_absence-$NEW_ID.json"
)
