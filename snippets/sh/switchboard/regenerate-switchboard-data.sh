#!/usr/bin/env bash
# title: Regenerate the Switchboard data
# effect: write
# tags: [shell, services]
# params:
#   SWITCHBOARD_DIR:
#     default: /opt/sfs-switchboard
#     pattern: ^/.*$
#     help: the switchboard checkout (/opt/scan-switchboard on older hosts)
#   ENV_DIR:
#     default: /opt/backoffice/id3c-production/env.d
#     pattern: ^/.*$
#     help: folder of the envdir directories
# notes: >-
#   Rebuilds every target of the switchboard's Makefile (make -B) inside its pipenv, with the
#   REDCap credentials of ENV_DIR/redcap-sfs and ENV_DIR/redcap-scan loaded by envdir, exactly
#   as the guide's command. Capture the failed state first (capture-switchboard-state.sh). Run
#   it as the user that owns SWITCHBOARD_DIR/data: files root makes there can stop the
#   service's own updates (it warns when you are someone else).

# The parentheses run the snippet in a subshell: pasted into your shell, `set -e` and `exit`
# stop the snippet, not your shell.
(
set -euo pipefail
SWITCHBOARD_DIR=${SWITCHBOARD_DIR:-/opt/sfs-switchboard}
SWITCHBOARD_DIR=${SWITCHBOARD_DIR%/}
ENV_DIR=${ENV_DIR:-/opt/backoffice/id3c-production/env.d}
ENV_DIR=${ENV_DIR%/}
if ! [[ $SWITCHBOARD_DIR == /* && -f $SWITCHBOARD_DIR/Pipfile ]]; then
    echo "SWITCHBOARD_DIR: no Pipfile in '$SWITCHBOARD_DIR' (scan-switchboard hosts: SWITCHBOARD_DIR=/opt/scan-switchboard)" >&2
    exit 2
fi
for envdir in "$ENV_DIR/redcap-sfs" "$ENV_DIR/redcap-scan"; do
    if ! [[ $ENV_DIR == /* && -d $envdir ]]; then
        echo "ENV_DIR: '$envdir' is not a folder" >&2
        exit 2
    fi
done

owner=$(stat -c %U "$SWITCHBOARD_DIR/data" 2>/dev/null || echo unknown)
if [[ $owner != "$(id -un)" ]]; then
    echo "Warning: $SWITCHBOARD_DIR/data belongs to $owner, you are $(id -un); new files will be yours (sudo -u $owner runs it as $owner)." >&2
fi

PIPENV_PIPFILE="$SWITCHBOARD_DIR/Pipfile" \
    envdir "$ENV_DIR/redcap-sfs/" \
    envdir "$ENV_DIR/redcap-scan/" \
    pipenv run make -BC "$SWITCHBOARD_DIR/"
echo "Regenerated the data in $SWITCHBOARD_DIR/data. If barcodes still do not load, restart the service (restart-switchboard.sh)."
)
