#!/usr/bin/env bash
# title: Restart husky-musher
# effect: write
# tags: [shell, services]
# notes: >-
#   sudo systemctl restart uwsgi@husky-musher: stops the master and every worker (requests in
#   flight are cut off) and starts them again. Use it when a reload left threads stuck.

# The parentheses run the snippet in a subshell: pasted into your shell, `set -e` and `exit`
# stop the snippet, not your shell.
(
set -euo pipefail
echo "== sudo systemctl restart uwsgi@husky-musher"
sudo systemctl restart uwsgi@husky-musher
systemctl status --no-pager --full uwsgi@husky-musher
echo "Restarted. Run find-stuck-musher-workers.sh again to confirm every thread moves."
)
