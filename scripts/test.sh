#!/usr/bin/env bash
# README command 2: install what the tests need (real InfluxDB, Mosquitto and its clients, openssl, iproute2 for
# network namespaces, socat, Chromium, mbpoll, VictoriaMetrics for the InfluxDB v2 write path, pymodbus as a
# Modbus server that is not ours), build, run every suite.
# Extra arguments go to vitest (e.g. npm test -- edge-agent protocol).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-system-packages.sh influxdb:influxd mosquitto:mosquitto mosquitto-clients:mosquitto_pub openssl:openssl iproute2:ip socat:socat chromium:chromium mbpoll:mbpoll victoria-metrics:victoria-metrics python3-pymodbus:py:pymodbus.server python3-serial-asyncio:py:serial_asyncio
bash scripts/ensure-node-modules.sh
npm run --silent build
exec npx vitest run "$@"
