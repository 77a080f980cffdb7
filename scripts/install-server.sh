#!/usr/bin/env bash
# The server part on a fresh Debian or Raspberry Pi OS, in one command (README « Installer sur le terrain »):
#   sudo bash scripts/install-server.sh [--prefix /opt/trebuchet] [--dry-run]
# Node.js ≥ 20 and InfluxDB from the distribution, the trebuchet system user, /etc/trebuchet, /var/lib/trebuchet,
# the code built in /opt/trebuchet, /etc/trebuchet/up.yaml (only if absent) and trebuchet-up.service, started.
# Run again to upgrade: the code is rebuilt and swapped, configs and data are kept.
set -euo pipefail
source "$(dirname "$0")/install-lib.sh"
parse_options "$@"

ensure_node
# InfluxDB's binary: `up` starts its own influxd (authentication on, loopback only) in the data folder.
had_influxd=0
if has_command influxd; then had_influxd=1; fi
say "InfluxDB (the distribution's package)"
run bash "$SRC/scripts/ensure-system-packages.sh" influxdb:influxd
if [ "$had_influxd" -eq 0 ] && systemd_running; then
  # The package starts its own server on :8086, every interface, without a password: not wanted here.
  say "Stopping the distribution's influxdb.service (up runs its own; that one listens on :8086 without a password)"
  run systemctl disable --now influxdb.service
fi

ensure_user dialout
ensure_dirs
install_code
install_command
install_config_once "$SRC/deploy/examples/server.yaml" "$ETC_DIR/up.yaml"
install_unit trebuchet-up.service
if systemd_running; then
  run systemctl enable trebuchet-up.service
  # A restart, not a start: on an upgrade the new code must be the one running.
  run systemctl restart trebuchet-up.service
else
  say "systemd is not running here: start it by hand with MALLOC_MMAP_THRESHOLD_=131072 $(node_bin) $PREFIX/dist/bundle/trebuchet.js up --config $ETC_DIR/up.yaml"
fi
remove_old_code

cat <<EOF

Trébuchet server installed$([ "$DRY_RUN" -eq 1 ] && echo ' (dry run: nothing was changed)').
  Logs:         journalctl -u trebuchet-up -f
  Config:       $ETC_DIR/up.yaml (then: systemctl restart trebuchet-up)
  First admin:  sudo -u $SERVICE_USER trebuchet user add <name> --role admin -c $ETC_DIR/up.yaml
  Next, for each shop's Pi: sudo -u $SERVICE_USER trebuchet agent enroll --site <site> --agent <agent>
EOF
