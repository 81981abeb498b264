#!/usr/bin/env bash
# title: Restart the SFS Switchboard service
# effect: write
# tags: [shell, services]
# departs: [switchboard-restart-gate]
# params:
#   SERVICE:
#     default: sfs-switchboard
#     pattern: ^[A-Za-z0-9@._-]+$
#     help: systemd unit (scan-switchboard on older hosts)
#   CAPTURE_ROOT:
#     default: /var/tmp
#     pattern: ^/.*$
#     help: where capture-switchboard-state.sh put its folders
#   SKIP_CAPTURE:
#     default: 'no'
#     pattern: ^(yes|no)$
#     help: yes restarts without a capture from the last hour
# notes: >-
#   Refuses to restart unless capture-switchboard-state.sh made a CAPTURE_ROOT/SERVICE-state-*
#   folder in the last 60 minutes (the failed state is lost on restart), or SKIP_CAPTURE=yes.
#   Then runs sudo systemctl restart SERVICE and shows its status.

# The parentheses run the snippet in a subshell: pasted into your shell, `set -e` and `exit`
# stop the snippet, not your shell.
(
set -euo pipefail
SERVICE=${SERVICE:-sfs-switchboard}
CAPTURE_ROOT=${CAPTURE_ROOT:-/var/tmp}
SKIP_CAPTURE=${SKIP_CAPTURE:-no}
if ! [[ $SERVICE =~ ^[A-Za-z0-9@._-]+$ ]]; then
    echo "SERVICE must be a systemd unit name such as sfs-switchboard, not '$SERVICE'" >&2
    exit 2
fi
if ! [[ $SKIP_CAPTURE =~ ^(yes|no)$ ]]; then
    echo "SKIP_CAPTURE must be yes or no, not '$SKIP_CAPTURE'" >&2
    exit 2
fi
if ! [[ $CAPTURE_ROOT == /* ]]; then
    echo "CAPTURE_ROOT must be an absolute path, not '$CAPTURE_ROOT'" >&2
    exit 2
fi

if [[ $SKIP_CAPTURE == no ]]; then
    recent=$(find "$CAPTURE_ROOT" -maxdepth 1 -type d -name "$SERVICE-state-*" -mmin -60 2>/dev/null | sort | tail -n 1)
    if [[ -z $recent ]]; then
        echo "No capture of $SERVICE in $CAPTURE_ROOT from the last hour: run capture-switchboard-state.sh first" >&2
        echo "(or set SKIP_CAPTURE=yes to restart without one)." >&2
        exit 1
    fi
    echo "Failed state captured in $recent"
fi

echo "== sudo systemctl restart $SERVICE"
sudo systemctl restart "$SERVICE"
echo "== systemctl status $SERVICE"
if ! systemctl status --no-pager --full "$SERVICE"; then
    echo "$SERVICE is not running after the restart: sudo journalctl -u $SERVICE -n 200 --no-pager" >&2
    exit 1
fi
)
