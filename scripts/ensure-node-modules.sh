#!/usr/bin/env bash
# Runs `npm ci` unless node_modules was already installed from this very package-lock.json.
set -euo pipefail
stamp=node_modules/.trebuchet-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then exit 0; fi
npm ci --no-audit --no-fund
echo "$want" > "$stamp"
