#!/usr/bin/env bash
# title: Capture the failed Switchboard state before a restart
# effect: read
# tags: [shell, services]
# departs: [switchboard-capture]
# params:
#   SERVICE:
#     default: sfs-switchboard
#     pattern: ^[A-Za-z0-9@._-]+$
#     help: systemd unit (scan-switchboard on older hosts)
#   SWITCHBOARD_DIR:
#     default: /opt/sfs-switchboard
#     pattern: ^/.*$
#     help: the switchboard checkout (/opt/scan-switchboard on older hosts)
#   CAPTURE_ROOT:
#     default: /var/tmp
#     pattern: ^/.*$
#     help: where the timestamped capture folder is made (/var/tmp survives a reboot)
#   JOURNAL_LINES:
#     type: integer
#     default: '500'
#     pattern: ^\d+$
#     help: journal lines to keep
# notes: >-
#   Makes one folder CAPTURE_ROOT/SERVICE-state-<UTC time> holding ps.txt (every process),
#   systemctl-status.txt, journal.txt (the last JOURNAL_LINES lines) and data/ (a copy of
#   SWITCHBOARD_DIR/data with times and modes kept), and prints its path. Changes nothing in
#   the service. restart-switchboard.sh refuses to run without a capture from the last hour.

# The parentheses run the snippet in a subshell: pasted into your shell, `set -e` and `exit`
# stop the snippet, not your shell.
(
set -euo pipefail
SERVICE=${SERVICE:-sfs-switchboard}
SWITCHBOARD_DIR=${SWITCHBOARD_DIR:-/opt/sfs-switchboard}
SWITCHBOARD_DIR=${SWITCHBOARD_DIR%/}
CAPTURE_ROOT=${CAPTURE_ROOT:-/var/tmp}
JOURNAL_LINES=${JOURNAL_LINES:-500}
if ! [[ $SERVICE =~ ^[A-Za-z0-9@._-]+$ ]]; then
    echo "SERVICE must be a systemd unit name such as sfs-switchboard, not '$SERVICE'" >&2
    exit 2
fi
if ! [[ $JOURNAL_LINES =~ ^[0-9]+$ ]]; then
    echo "JOURNAL_LINES must be a number of lines, not '$JOURNAL_LINES'" >&2
    exit 2
fi
if ! [[ -d $SWITCHBOARD_DIR/data ]]; then
    echo "SWITCHBOARD_DIR: $SWITCHBOARD_DIR/data is not a folder (scan-switchboard hosts: SWITCHBOARD_DIR=/opt/scan-switchboard)" >&2
    exit 2
fi
if ! [[ $CAPTURE_ROOT == /* && -d $CAPTURE_ROOT ]]; then
    echo "CAPTURE_ROOT must be an existing folder given as an absolute path, not '$CAPTURE_ROOT'" >&2
    exit 2
fi

dest=$CAPTURE_ROOT/$SERVICE-state-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -m 700 "$dest"   # fails rather than mix two captures in one folder
failed=()
# The process list first: it is what changes soonest.
ps auxww >"$dest/ps.txt" || failed+=("ps")
systemctl status --no-pager --full "$SERVICE" >"$dest/systemctl-status.txt" 2>&1 || true
# shellcheck disable=SC2024  # the file is ours: only journalctl needs root
sudo journalctl -u "$SERVICE" -n "$JOURNAL_LINES" --no-pager >"$dest/journal.txt" || failed+=("journalctl")
cp -rp "$SWITCHBOARD_DIR/data" "$dest/data" || failed+=("cp of $SWITCHBOARD_DIR/data")

echo "Captured the state of $SERVICE in $dest:"
ls -l "$dest"
if ((${#failed[@]})); then
    echo "Incomplete capture, these steps failed: ${failed[*]}" >&2
    exit 1
fi
echo "Attach $dest to the incident before restarting."
)
