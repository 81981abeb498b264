#!/usr/bin/env bash
# title: Restart the SFS Switchboard service
# effect: write
# params:
#   SERVICE:
#     default: sfs-switchboard
#     help: systemd unit
# PLACEHOLDER: body to be written (issue 5)
set -euo pipefail
