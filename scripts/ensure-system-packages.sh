#!/usr/bin/env bash
# Installs the Debian packages that are missing, given as package:command pairs
# (the command, looked up in PATH and /usr/sbin, tells whether the package is there), or as
# package:py:module for a Python library of Debian's own python3 (python3-pymodbus:py:pymodbus).
set -euo pipefail
missing=()
for pair in "$@"; do
  pkg=${pair%%:*}
  cmd=${pair#*:}
  if [ "${cmd%%:*}" = py ]; then
    /usr/bin/python3 -c "import ${cmd#py:}" >/dev/null 2>&1 || missing+=("$pkg")
  elif ! command -v "$cmd" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$cmd" ] && [ ! -x "/usr/bin/$cmd" ]; then
    missing+=("$pkg")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing system packages: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "Please install as root: apt-get install ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
