#!/usr/bin/env bash
# title: Show the Metabase service, container and journal
# effect: read
# params:
#   JOURNAL_LINES:
#     default: '100'
#     pattern: ^\d+$
#     help: journal lines to show
# PLACEHOLDER: body to be written (issue 5)
set -euo pipefail
