#!/usr/bin/env bash
# Shared first steps of dev-up.sh and test.sh: system packages, npm dependencies, the build
# the Apache Kafka broker's jars and the mock broker harness. Each step skips itself when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/system-deps.sh
scripts/node-deps.sh
npm run --silent build
scripts/build-mock-kafka.sh >/dev/null
scripts/kafka/kafka-jars.sh >/dev/null
