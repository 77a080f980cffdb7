#!/usr/bin/env bash
# README command 2: install what the tests need (real InfluxDB, Mosquitto, socat, Chromium), build, run every suite.
# Extra arguments go to vitest (e.g. npm test -- edge-agent protocol).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-system-packages.sh influxdb:influxd mosquitto:mosquitto socat:socat chromium:chromium mbpoll:mbpoll
bash scripts/ensure-node-modules.sh
npm run --silent build
exec npx vitest run "$@"
