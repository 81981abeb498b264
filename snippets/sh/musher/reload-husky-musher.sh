#!/usr/bin/env bash
# title: Reload husky-musher gracefully
# effect: write
# PLACEHOLDER: body to be written (issue 5)
set -euo pipefail
