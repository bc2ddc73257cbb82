#!/usr/bin/env bash
# Prints the folder holding the Apache Kafka broker's jars (the version pinned in
# scripts/kafka/pom.xml), fetching them from Maven Central into a cache folder on first use.
# KPROXY_CACHE_DIR moves the cache (default ~/.cache/kproxy). Needs java (17+) and mvn.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")
stamp=$(sha256sum "$here/pom.xml" | cut -c1-12)
cache="${KPROXY_CACHE_DIR:-${HOME:-/root}/.cache/kproxy}/kafka-$version-$stamp"
if [ ! -f "$cache/.complete" ]; then
  command -v mvn >/dev/null || { echo "mvn is missing: run scripts/system-deps.sh (it installs Maven and a JDK)" >&2; exit 1; }
  mkdir -p "$cache"
  echo "fetching Apache Kafka $version from Maven Central into $cache" >&2
  mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$cache" >&2
  touch "$cache/.complete"
fi
echo "$cache"
