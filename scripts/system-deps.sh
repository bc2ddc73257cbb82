#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages kproxy needs (build libraries for the Kafka client,
# MariaDB, a C compiler for the mock broker harness; Chromium for the browser test when
# KPROXY_WITH_BROWSER=1). Idempotent; runs apt only when needed.
set -euo pipefail

PACKAGES=(build-essential python3 libssl-dev libsasl2-dev zlib1g-dev libzstd-dev liblz4-dev libcurl4-openssl-dev
  mariadb-server mariadb-client curl ca-certificates)
# The console's browser test needs Chromium; only the test command asks for it.
if [ "${KPROXY_WITH_BROWSER:-}" = 1 ]; then
  PACKAGES+=(chromium)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ! command -v node >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  echo "kproxy needs Node.js 20.18 or newer; this machine has $(node --version)" >&2
  exit 1
fi
