#!/usr/bin/env bash
# title: Build Python 3.6 on macOS Big Sur
# effect: write
# PLACEHOLDER: body to be written (issue 5)
set -euo pipefail
