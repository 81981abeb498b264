#!/usr/bin/env bash
# title: Restart the Metabase service
# effect: write
# PLACEHOLDER: body to be written (issue 5)
set -euo pipefail
