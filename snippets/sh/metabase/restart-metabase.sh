#!/usr/bin/env bash
# title: Restart the Metabase service
# effect: write
# tags: [shell, Metabase, services]
# notes: >-
#   Restarts the metabase systemd service (it runs the metabase Docker container), then shows
#   its state. Metabase takes a few minutes to answer again after a restart; follow its start
#   with `sudo journalctl -fu metabase` (Ctrl-C to stop following).

# The parentheses run the snippet in a subshell: pasted into your shell, `set -e` and `exit`
# stop the snippet, not your shell.
(
set -euo pipefail
echo "== sudo systemctl restart metabase"
sudo systemctl restart metabase
echo "== systemctl status metabase"
if systemctl status --no-pager --full metabase; then
    echo "metabase restarted. It needs a few minutes before the site answers."
else
    status=$?
    echo "metabase is not running after the restart (systemctl status exited $status)." >&2
    echo "Look at: sudo journalctl -u metabase -n 200 --no-pager, and docker container ls -a" >&2
    exit 1
fi
)
