#!/usr/bin/env bash
# The edge agent alone on the shop's Raspberry Pi, in one command (README « Installer sur le terrain »):
#   sudo bash scripts/install-agent.sh [--prefix /opt/trebuchet] [--dry-run]
# Node.js ≥ 20 from the distribution, the trebuchet system user in group dialout (serial ports), /etc/trebuchet,
# /var/lib/trebuchet/agent (0700: operators' names, bon comments), the code built in /opt/trebuchet without its
# dev dependencies, trebuchet-agent.service enabled. No InfluxDB, no dashboards. The agent starts once
# /etc/trebuchet/agent.yaml exists, which `trebuchet agent join` writes. Run again to upgrade.
set -euo pipefail
source "$(dirname "$0")/install-lib.sh"
parse_options "$@"

ensure_node
ensure_user dialout
ensure_dirs
say "Folder: $DATA_DIR/agent (the agent's data, 0700 $SERVICE_USER)"
run install -d -m 0700 -o "$SERVICE_USER" -g "$SERVICE_USER" "$DATA_DIR/agent"
install_code prune
install_command
install_unit trebuchet-agent.service
if systemd_running; then
  run systemctl enable trebuchet-agent.service
  if [ -e "$ETC_DIR/agent.yaml" ]; then
    # An upgrade of a Pi that has joined: the new code must be the one running.
    run systemctl restart trebuchet-agent.service
  fi
else
  say "systemd is not running here: once joined, start it by hand with MALLOC_MMAP_THRESHOLD_=131072 $(node_bin) --max-semi-space-size=1 --lite-mode $PREFIX/dist/bundle/trebuchet.js agent --config $ETC_DIR/agent.yaml"
fi
remove_old_code

if [ -e "$ETC_DIR/agent.yaml" ]; then
  next="The agent runs with $ETC_DIR/agent.yaml: journalctl -u trebuchet-agent -f"
else
  next="Next: on the server, sudo -u $SERVICE_USER trebuchet agent enroll --site <site> --agent <agent> prints a code; here:
    sudo trebuchet agent join CODE --server https://<server>:8443
  It writes $ETC_DIR/agent.yaml and starts the agent (until then trebuchet-agent is enabled but skipped)."
fi

cat <<EOF

Trébuchet agent installed$([ "$DRY_RUN" -eq 1 ] && echo ' (dry run: nothing was changed)').
  $next
EOF
