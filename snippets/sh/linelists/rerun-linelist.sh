#!/usr/bin/env bash
# title: Rerun the WA DOH linelist for a date
# effect: write
# tags: [shell, results]
# params:
#   LINELIST_DATE:
#     type: date
#     pattern: ^\d{4}-\d{2}-\d{2}$
#     example: '2021-11-29'
#     help: the day the linelist covers
#   OUTPUT_DIR:
#     pattern: ^(/|s3://|ssh://)\S*$
#     example: /tmp/linelists
#     help: local folder, s3:// or ssh:// destination
#   LINELIST_GENERATE:
#     default: /opt/backoffice/bin/wa-doh-linelists/generate
#     pattern: ^/.*$
#     help: the generate script of the backoffice checkout
#   REDCAP_ENV_DIR:
#     default: /opt/backoffice/id3c-production/env.d/redcap
#     pattern: ^/.*$
#     help: envdir folder of the REDCAP_API_TOKEN_* files
# connection: >-
#   generate reads ID3C through the libpq environment (PGSERVICE=seattleflu-production, or
#   PGHOST/PGDATABASE/PGUSER with ~/.pgpass); set it as the crontab line does.
# notes: >-
#   Runs `generate --date LINELIST_DATE --output-dir OUTPUT_DIR` (documentation/Linelists.md)
#   under envdir REDCAP_ENV_DIR. An s3:// or ssh:// OUTPUT_DIR uploads to the destination:
#   that is the submission. Use a local folder first to check the file. Older backoffice
#   checkouts (2021) took the date as a positional argument; `generate --help` tells.

# The parentheses run the snippet in a subshell: pasted into your shell, `set -e` and `exit`
# stop the snippet, not your shell.
(
set -euo pipefail
: "${LINELIST_DATE:?the day the linelist covers, YYYY-MM-DD}"
: "${OUTPUT_DIR:?local folder, s3:// or ssh:// destination}"
LINELIST_GENERATE=${LINELIST_GENERATE:-/opt/backoffice/bin/wa-doh-linelists/generate}
REDCAP_ENV_DIR=${REDCAP_ENV_DIR:-/opt/backoffice/id3c-production/env.d/redcap}
if ! [[ $LINELIST_DATE =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]]; then
    echo "LINELIST_DATE must be a date as YYYY-MM-DD, not '$LINELIST_DATE'" >&2
    exit 2
fi
if ! [[ $OUTPUT_DIR =~ ^(/|s3://|ssh://)[^[:space:]]*$ ]]; then
    echo "OUTPUT_DIR must be an absolute folder, s3://... or ssh://..., not '$OUTPUT_DIR'" >&2
    exit 2
fi
if ! [[ $LINELIST_GENERATE == /* && -x $LINELIST_GENERATE ]]; then
    echo "LINELIST_GENERATE: '$LINELIST_GENERATE' is not an executable file" >&2
    exit 2
fi
if ! [[ $REDCAP_ENV_DIR == /* && -d $REDCAP_ENV_DIR ]]; then
    echo "REDCAP_ENV_DIR: '$REDCAP_ENV_DIR' is not a folder" >&2
    exit 2
fi
if [[ -z ${PGSERVICE:-}${PGHOST:-}${PGDATABASE:-} ]]; then
    echo "Note: none of PGSERVICE, PGHOST, PGDATABASE is set; generate will use libpq's defaults." >&2
fi
if [[ $OUTPUT_DIR == /* ]]; then
    mkdir -p "$OUTPUT_DIR"
fi

echo "== generate --date $LINELIST_DATE --output-dir $OUTPUT_DIR"
envdir "$REDCAP_ENV_DIR" "$LINELIST_GENERATE" --date "$LINELIST_DATE" --output-dir "$OUTPUT_DIR"
echo "Done. Check the file in $OUTPUT_DIR, then post a note in #linelist-submissions once it is uploaded."
)
