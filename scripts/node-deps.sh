#!/usr/bin/env bash
# Installs npm dependencies. The Kafka client falls back to building librdkafka from source
# when no prebuilt binary can be downloaded; linking it against the system libraries is what
# makes that build work offline.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=node_modules/.kproxy-lock-hash
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -f node_modules/@confluentinc/kafka-javascript/build/Release/confluent-kafka-javascript.node ]; then
  exit 0
fi
CKJS_LINKING=dynamic npm ci --no-audit --no-fund --loglevel=error
echo "$want" > "$stamp"
