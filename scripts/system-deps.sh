#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages kproxy needs (build libraries for the Kafka client,
# MariaDB, a C compiler for the mock broker harness, a Java 17+ runtime and Maven for the local
# Apache Kafka; Chromium for the browser test when KPROXY_WITH_BROWSER=1). Idempotent; runs apt
# only when needed.
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
# Kafka 4.x brokers need Java 17 or newer (https://kafka.apache.org/documentation/#java).
java_major() { java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1; }
need_java=""
if ! command -v java >/dev/null 2>&1 || [ "$(java_major)" -lt 17 ] 2>/dev/null; then need_java=yes; fi
if ! command -v mvn >/dev/null 2>&1; then missing+=(maven); fi
if [ "${#missing[@]}" -gt 0 ] || [ -n "$need_java" ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  if [ -n "$need_java" ]; then
    # The newest of these the release has (Debian 12: 17; Debian 13, Ubuntu 24.04: 21).
    for jre in openjdk-21-jre-headless openjdk-17-jre-headless; do
      if [ -n "$(apt-cache policy "$jre" 2>/dev/null | sed -n 's/ *Candidate: *//p' | grep -v none)" ]; then missing+=("$jre"); break; fi
    done
  fi
  echo "installing system packages: ${missing[*]}"
  $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ "$(java_major)" -lt 17 ] 2>/dev/null; then
  echo "Apache Kafka 4 needs Java 17 or newer; 'java' here is $(java -version 2>&1 | head -n1) (pick 17+ with update-alternatives --config java)" >&2
  exit 1
fi

major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  echo "kproxy needs Node.js 20.18 or newer; this machine has $(node --version)" >&2
  exit 1
fi
