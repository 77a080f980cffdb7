# Shared steps of install-server.sh and install-agent.sh (sourced, not run). Every change to the system goes
# through `run`, so that --dry-run prints each one instead of doing it.
# Layout: code in $PREFIX (/opt/trebuchet, owned by root: the service cannot change its own code), configs in
# /etc/trebuchet (0750 root:trebuchet), data in /var/lib/trebuchet (0750 trebuchet). Configs name their data
# paths absolutely; the units run in /var/lib/trebuchet.

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PREFIX=/opt/trebuchet
DRY_RUN=0
SERVICE_USER=trebuchet
ETC_DIR=/etc/trebuchet
DATA_DIR=/var/lib/trebuchet
UNIT_DIR=/etc/systemd/system

say() { printf '==> %s\n' "$*"; }
die() { printf 'Error: %s\n' "$*" >&2; exit 1; }

# Prints a change to the system, then makes it unless this is a dry run.
run() {
  printf '  +'; printf ' %q' "$@"; printf '\n'
  [ "$DRY_RUN" -eq 1 ] || "$@"
}

usage() {
  cat <<EOF
Usage: sudo bash $0 [--prefix DIR] [--dry-run]
  --prefix DIR  where the code goes (default /opt/trebuchet); the units are written for it
  --dry-run     print every action without doing any (no root needed)
A second run upgrades the code and keeps /etc/trebuchet and /var/lib/trebuchet as they are.
EOF
}

parse_options() {
  local given="$*"
  while [ $# -gt 0 ]; do
    case "$1" in
      --prefix) [ $# -ge 2 ] || die "--prefix needs a folder, e.g. --prefix /opt/trebuchet"; PREFIX=$2; shift 2 ;;
      --prefix=*) PREFIX=${1#--prefix=}; shift ;;
      --dry-run) DRY_RUN=1; shift ;;
      -h | --help) usage; exit 0 ;;
      *) usage >&2; die "unknown option \"$1\"" ;;
    esac
  done
  PREFIX=${PREFIX%/}
  # The old and new code trees are $PREFIX.old and $PREFIX.new, removed with rm -rf: refuse anything vague.
  case "$PREFIX" in
    /*/*) ;;
    *) die "--prefix \"$PREFIX\" must be an absolute folder below the root, e.g. /opt/trebuchet" ;;
  esac
  if [ "$DRY_RUN" -eq 1 ]; then
    say "Dry run: nothing is changed; each action is printed as a command."
  elif [ "$(id -u)" -ne 0 ]; then
    die "run as root: sudo bash $0 $given (or add --dry-run to see what it would do)"
  fi
}

has_command() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/usr/bin/$1" ]; }

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

# Node.js ≥ 20 from Debian's own package when the distribution has it; otherwise say what to do and stop.
ensure_node() {
  if has_command node && [ "$(node_major)" -ge 20 ]; then
    say "Node.js $(node --version) found at $(command -v node)"
  else
    run apt-get update -qq
    local candidate major
    candidate=$(apt-cache policy nodejs 2>/dev/null | awk '/Candidate:/ { print $2 }')
    major=${candidate#*:}
    major=${major%%.*}
    if [[ "$major" =~ ^[0-9]+$ ]] && [ "$major" -ge 20 ]; then
      say "Installing Node.js $candidate from the distribution"
      run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs
    else
      die "Node.js 20 or later is needed, and this system's nodejs package is ${candidate:-absent} (Debian 12 \"bookworm\" and the Raspberry Pi OS made from it ship 18). Either upgrade to Debian 13 \"trixie\" (or a Raspberry Pi OS made from it), whose nodejs is 20, or install Node.js 20 or later yourself so that \"node --version\" says v20 or more, then run this command again."
    fi
  fi
  if ! has_command npm; then
    say "Installing npm from the distribution"
    run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm
  fi
}

# The units' node; in a dry run where node is still to be installed, the package's.
node_bin() { command -v node 2>/dev/null || echo /usr/bin/node; }

# A system user without a login shell, its home the data folder; extra groups as arguments (dialout).
ensure_user() {
  if id "$SERVICE_USER" >/dev/null 2>&1; then
    say "User $SERVICE_USER exists"
  else
    say "Creating the system user $SERVICE_USER (no login shell, home $DATA_DIR)"
    run useradd --system --user-group --home-dir "$DATA_DIR" --no-create-home --shell /usr/sbin/nologin "$SERVICE_USER"
  fi
  local group
  for group in "$@"; do
    if id -nG "$SERVICE_USER" 2>/dev/null | tr ' ' '\n' | grep -qx "$group"; then
      say "User $SERVICE_USER is in group $group"
    else
      say "Adding $SERVICE_USER to group $group"
      run usermod --append --groups "$group" "$SERVICE_USER"
    fi
  done
}

# install -d fixes the owner and mode of a folder that exists and never touches what is in it.
ensure_dirs() {
  say "Folders: $ETC_DIR (configs, 0750 root:$SERVICE_USER), $DATA_DIR (data, 0750 $SERVICE_USER)"
  run install -d -m 0750 -o root -g "$SERVICE_USER" "$ETC_DIR"
  run install -d -m 0750 -o "$SERVICE_USER" -g "$SERVICE_USER" "$DATA_DIR"
}

# The checkout without what is built, installed or written by a run (data/ holds credentials).
copy_checkout() {
  tar -C "$1" --exclude=./.git --exclude=./node_modules --exclude=./dist --exclude=./data --exclude='./data-*' \
    --exclude=./test-results -cf - . | tar -C "$2" -xf -
}

# Builds the code in $PREFIX.new, then swaps it for $PREFIX: a failed build leaves the running code alone.
# With "prune", the dev dependencies (compiler, test tools) are removed once built.
install_code() {
  local stage="$PREFIX.new"
  say "Code: $SRC built into $stage, then moved to $PREFIX"
  run rm -rf "$stage"
  run install -d -m 0755 "$stage"
  run copy_checkout "$SRC" "$stage"
  run env -C "$stage" npm ci --no-audit --no-fund
  run env -C "$stage" npm run --silent build
  if [ "${1:-}" = prune ]; then
    run env -C "$stage" npm prune --omit=dev --no-audit --no-fund
  fi
  if [ -e "$PREFIX" ]; then
    run rm -rf "$PREFIX.old"
    run mv "$PREFIX" "$PREFIX.old"
  fi
  run mv "$stage" "$PREFIX"
}

# Called once the units run the new code.
remove_old_code() {
  if [ -e "$PREFIX.old" ]; then run rm -rf "$PREFIX.old"; fi
}

# `trebuchet …` on the PATH, for the commands the README gives (user add, agent join).
install_command() {
  say "Command: /usr/local/bin/trebuchet (runs $PREFIX/dist/bundle/trebuchet.js, as the services do)"
  run write_command /usr/local/bin/trebuchet
}

write_command() {
  printf '#!/bin/sh\nexec %s %s/dist/bundle/trebuchet.js "$@"\n' "$(node_bin)" "$PREFIX" >"$1.tmp"
  chmod 0755 "$1.tmp" && mv "$1.tmp" "$1"
}

# A unit from deploy/systemd, its paths rewritten for this machine's node and --prefix.
install_unit() {
  local unit=$1
  say "Unit: $UNIT_DIR/$unit (node $(node_bin), code in $PREFIX)"
  run render_unit "$SRC/deploy/systemd/$unit" "$UNIT_DIR/$unit"
  if systemd_running; then run systemctl daemon-reload; fi
}

render_unit() {
  sed -e "s#/opt/trebuchet#$PREFIX#g" -e "s#/usr/bin/node #$(node_bin) #g" "$1" >"$2.tmp"
  chmod 0644 "$2.tmp" && mv "$2.tmp" "$2"
}

systemd_running() { [ -d /run/systemd/system ] || [ "$DRY_RUN" -eq 1 ]; }

# An operator's file is never overwritten; the example is installed only where there is none.
install_config_once() {
  local example=$1 dest=$2
  if [ -e "$dest" ]; then
    say "Config: $dest kept as it is"
  else
    say "Config: $dest written from ${example#"$SRC"/} (edit it: the lines marked CHANGE)"
    run install -m 0640 -o root -g "$SERVICE_USER" "$example" "$dest"
  fi
}
