#!/usr/bin/env bash
# One command from a fresh Debian/Ubuntu machine to a running proxy with a demo:
# installs what is missing, starts MariaDB (unless DATABASE_URL is set) and a local
# Kafka-protocol broker on 127.0.0.1:9092 (unless KAFKA_BROKERS is set), migrates, and runs
# the proxy on :8080 with a demo subscription, producer and business API. Ctrl-C stops it all.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/prepare.sh

started_db=""
if [ -z "${DATABASE_URL:-}" ]; then
  pgrep -x mariadbd >/dev/null || started_db=yes
  DATABASE_URL=$(scripts/mariadb.sh kproxy)
  export DATABASE_URL
  echo "[demo] MariaDB at ${DATABASE_URL}"
fi
npm run --silent migrate

cleanup() {
  if [ -n "$started_db" ]; then
    mariadb-admin --socket=/run/mysqld/mysqld.sock -uroot shutdown 2>/dev/null || true
    echo "[demo] MariaDB stopped"
  fi
}
trap cleanup EXIT
trap 'true' INT TERM
node dist/scripts/demo/dev-up.js
