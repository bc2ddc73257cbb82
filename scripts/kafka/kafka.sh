#!/usr/bin/env bash
# A local Apache Kafka for development and tests (see kafka-cli.ts). Needs the build (npm run build).
#   scripts/kafka/kafka.sh start [--nodes 1|3] [--port 9092] [--dir .run/kafka]   prints host:port,...
#   scripts/kafka/kafka.sh stop  [--dir .run/kafka]
set -euo pipefail
cd "$(dirname "$0")/../.."
exec node dist/scripts/kafka/kafka-cli.js "$@"
