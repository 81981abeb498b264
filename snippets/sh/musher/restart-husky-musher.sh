#!/usr/bin/env bash
# title: Restart husky-musher
# effect: write
# PLACEHOLDER: body to be written (issue 5)
set -euo pipefail
