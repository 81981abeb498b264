#!/usr/bin/env bash
# title: Capture the failed Switchboard state before a restart
# effect: read
# params:
#   SERVICE:
#     default: sfs-switchboard
#     help: systemd unit
#   SWITCHBOARD_DIR:
#     default: /opt/sfs-switchboard
#     help: the switchboard checkout
# PLACEHOLDER: body to be written (issue 5)
set -euo pipefail
