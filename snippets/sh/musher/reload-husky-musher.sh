#!/usr/bin/env bash
# title: Reload husky-musher gracefully
# effect: write
# tags: [shell, services]
# notes: >-
#   sudo systemctl reload uwsgi@husky-musher: the uWSGI master replaces its workers gracefully
#   (requests in flight finish). Then run find-stuck-musher-workers.sh again; if threads are
#   still stuck, restart (restart-husky-musher.sh).

# The parentheses run the snippet in a subshell: pasted into your shell, `set -e` and `exit`
# stop the snippet, not your shell.
(
set -euo pipefail
echo "== sudo systemctl reload uwsgi@husky-musher"
sudo systemctl reload uwsgi@husky-musher
systemctl status --no-pager --full uwsgi@husky-musher
echo "Reloaded. Give the workers a few seconds, then run find-stuck-musher-workers.sh again."
)
