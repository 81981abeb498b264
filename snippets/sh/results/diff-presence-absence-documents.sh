#!/usr/bin/env bash
# title: Diff two receiving.presence_absence documents
# effect: read
# params:
#   OLD_ID:
#     pattern: ^\d+$
#     example: '4241'
#     help: presence_absence_id of the incorrect document
#   NEW_ID:
#     pattern: ^\d+$
#     example: '4242'
#     help: presence_absence_id of the updated document
# PLACEHOLDER: body to be written (issue 5)
set -euo pipefail
