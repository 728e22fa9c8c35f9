#!/usr/bin/env bash
# Quick start, command 1: install what is missing, build, run every case file, report into reports/latest/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
exec build/bin/verify run cases --out reports/latest "$@"
