#!/usr/bin/env bash
# title: Show the SFS Switchboard service and its journal
# effect: read
# tags: [shell, services]
# departs: [journal-follow, switchboard-rename]
# params:
#   SERVICE:
#     default: sfs-switchboard
#     pattern: ^[A-Za-z0-9@._-]+$
#     help: systemd unit (scan-switchboard on older hosts)
#   JOURNAL_LINES:
#     type: integer
#     default: '100'
#     pattern: ^\d+$
#     help: journal lines to show
# notes: >-
#   The guide's `journalctl -fu` follows the journal and never returns; this shows the last
#   JOURNAL_LINES lines instead. To watch live: sudo journalctl -fu sfs-switchboard (Ctrl-C stops).

# The parentheses run the snippet in a subshell: pasted into your shell, `set -e` and `exit`
# stop the snippet, not your shell.
(
set -euo pipefail
SERVICE=${SERVICE:-sfs-switchboard}
JOURNAL_LINES=${JOURNAL_LINES:-100}
if ! [[ $SERVICE =~ ^[A-Za-z0-9@._-]+$ ]]; then
    echo "SERVICE must be a systemd unit name such as sfs-switchboard, not '$SERVICE'" >&2
    exit 2
fi
if ! [[ $JOURNAL_LINES =~ ^[0-9]+$ ]]; then
    echo "JOURNAL_LINES must be a number of lines, not '$JOURNAL_LINES'" >&2
    exit 2
fi

echo "== systemctl status $SERVICE"
# status exits 3 when the service is stopped or failed: that is an answer, not an error.
systemctl status --no-pager --full "$SERVICE" || echo "(systemctl status exited $?: $SERVICE is not running)"

echo "== the last $JOURNAL_LINES journal lines of $SERVICE"
sudo journalctl -u "$SERVICE" -n "$JOURNAL_LINES" --no-pager
)
