#!/usr/bin/env bash
# Compiles the mock Kafka broker harness against the librdkafka that the Kafka client built.
set -euo pipefail
cd "$(dirname "$0")/.."
deps=node_modules/@confluentinc/kafka-javascript/build/deps
out=.run/mock-kafka
mkdir -p .run
if [ ! -f "$deps/librdkafka.so" ]; then
  echo "librdkafka.so not found under $deps: run scripts/node-deps.sh first" >&2
  exit 1
fi
if [ ! -x "$out" ] || [ scripts/mock-kafka/mock-kafka.c -nt "$out" ]; then
  gcc -O2 -Wall -o "$out" scripts/mock-kafka/mock-kafka.c -I"$deps/include" -L"$(pwd)/$deps" -lrdkafka -Wl,-rpath,"$(pwd)/$deps"
fi
echo "$(pwd)/$out"
