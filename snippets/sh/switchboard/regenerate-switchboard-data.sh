#!/usr/bin/env bash
# title: Regenerate the Switchboard data
# effect: write
# params:
#   SWITCHBOARD_DIR:
#     default: /opt/sfs-switchboard
#     help: the switchboard checkout
#   ENV_DIR:
#     default: /opt/backoffice/id3c-production/env.d
#     help: folder of the envdir directories
# PLACEHOLDER: body to be written (issue 5)
set -euo pipefail
