#!/usr/bin/env bash
# title: Build Python 3.6 on macOS Big Sur
# effect: write
# tags: [shell, software]
# params:
#   RUNBOOK_DIR:
#     default: .
#     help: the checkout of this runbook (holds noxfile.py)
# notes: >-
#   Runs the nox session build-py36, which does the guide's steps 1-9 (download, patch,
#   configure, build, install under a prefix). Run it on the Mac as a file, from the checkout:
#   `bash snippets/sh/software/build-python36.sh [options]`; its options go to
#   `runbook build-py36` (see `runbook build-py36 --help`). BUILD_ARGS="..." is another way to
#   give them, split on spaces. Pasting it into zsh (the macOS default shell) does not split
#   BUILD_ARGS: run it with bash.

# The parentheses run the snippet in a subshell: pasted into your shell, `set -e` and `exit`
# stop the snippet, not your shell.
(
set -euo pipefail
RUNBOOK_DIR=${RUNBOOK_DIR:-.}
if [ ! -f "$RUNBOOK_DIR/noxfile.py" ]; then
    echo "RUNBOOK_DIR: no noxfile.py in '$RUNBOOK_DIR' (set RUNBOOK_DIR to the runbook checkout)" >&2
    exit 2
fi
cd "$RUNBOOK_DIR"
# BUILD_ARGS is split on spaces on purpose: it holds several options.
# shellcheck disable=SC2086
nox -s build-py36 -- ${BUILD_ARGS:-} "$@"
)
