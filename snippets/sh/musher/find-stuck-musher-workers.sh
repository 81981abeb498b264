#!/usr/bin/env bash
# title: Find uWSGI worker threads stuck in read(
# effect: read
# params:
#   SAMPLE_SECONDS:
#     default: '5'
#     pattern: ^\d+$
#     help: seconds to watch each worker
# PLACEHOLDER: body to be written (issue 5)
set -euo pipefail
