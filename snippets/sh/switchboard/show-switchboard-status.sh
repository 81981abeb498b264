#!/usr/bin/env bash
# title: Show the SFS Switchboard service and its journal
# effect: read
# params:
#   SERVICE:
#     default: sfs-switchboard
#     help: systemd unit (scan-switchboard on older hosts)
# PLACEHOLDER: body to be written (issue 5)
set -euo pipefail
