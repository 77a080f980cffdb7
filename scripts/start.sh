#!/usr/bin/env bash
# README command 1: install what is missing, build, and start the whole system on its embedded defaults.
# Extra arguments go to `trebuchet up` (e.g. npm start -- --config my-site.yaml).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-system-packages.sh influxdb:influxd
bash scripts/ensure-node-modules.sh
npm run --silent build
# As its systemd unit runs it (deploy/systemd/trebuchet-up.service): the bundle, glibc's mmap threshold fixed.
export MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-131072}"
exec node dist/bundle/trebuchet.js up "$@"
