#!/usr/bin/env bash
# title: Rerun the WA DOH linelist for a date
# effect: write
# params:
#   LINELIST_DATE:
#     pattern: ^\d{4}-\d{2}-\d{2}$
#     example: '2021-11-29'
#     help: the day the linelist covers
#   OUTPUT_DIR:
#     example: /tmp/linelists
#     help: local folder, s3:// or ssh:// destination
# PLACEHOLDER: body to be written (issue 5)
set -euo pipefail
