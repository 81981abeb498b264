#!/usr/bin/env bash
# title: Show the Metabase service, container and journal
# effect: read
# tags: [shell, Metabase, services]
# departs: [journal-follow, metabase-restart-snippets]
# params:
#   JOURNAL_LINES:
#     type: integer
#     default: '100'
#     pattern: ^\d+$
#     help: journal lines to show
# notes: >-
#   Runs on the backoffice host. Shows, in order, `systemctl status metabase`, every Docker
#   container (`docker container ls -a`, stopped ones too) and the last journal lines of the
#   service. It keeps going when one of them fails, so that you see all three.

# The parentheses run the snippet in a subshell: pasted into your shell, `set -e` and `exit`
# stop the snippet, not your shell.
(
set -euo pipefail
JOURNAL_LINES=${JOURNAL_LINES:-100}
if ! [[ $JOURNAL_LINES =~ ^[0-9]+$ ]]; then
    echo "JOURNAL_LINES must be a number of lines, not '$JOURNAL_LINES'" >&2
    exit 2
fi

echo "== systemctl status metabase"
# status exits 3 when the service is stopped or failed: that is an answer, not an error.
systemctl status --no-pager --full metabase || echo "(systemctl status exited $?: metabase is not running)"

echo "== docker container ls -a"
sudo docker container ls -a || echo "(docker exited $?: is the Docker daemon up? systemctl status docker)"

echo "== the last $JOURNAL_LINES journal lines of metabase"
sudo journalctl -u metabase -n "$JOURNAL_LINES" --no-pager
)
