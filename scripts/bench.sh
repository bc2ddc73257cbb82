#!/usr/bin/env bash
# npm run bench: builds, starts a local MariaDB (unless DATABASE_URL is set) with a fresh
# kproxy_bench database, and runs bench/run.ts, which prints one table of side-by-side figures.
# Sizes: BENCH_RECORDS, BENCH_SLOW_RECORDS, BENCH_NAIVE_SLOW_RECORDS, BENCH_REPLAY_RECORDS, BENCH_REPLAY_RATE.
# Subsets: BENCH_ONLY=modes,slow,batch,adaptive,cost,peers,replay,many (ceilings and naive baselines always run).
# BENCH_ONLY=scale: the scale section alone (bench/scale.ts, BENCH_SCALE_* settings; up to 15 min).
# BENCH_ONLY=lists: the admin lists at 300 to 10,000 subscriptions (bench/lists.ts, BENCH_LISTS_* settings).
# Profiling: BENCH_PROXY_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof".
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/prepare.sh
if [ -z "${DATABASE_URL:-}" ]; then
  scripts/mariadb.sh kproxy_bench >/dev/null
  mariadb --socket=/run/mysqld/mysqld.sock -uroot -e 'DROP DATABASE IF EXISTS kproxy_bench; CREATE DATABASE kproxy_bench CHARACTER SET utf8mb4 COLLATE utf8mb4_bin'
  DATABASE_URL=mysql://kproxy:kproxy@127.0.0.1:3306/kproxy_bench
  export DATABASE_URL
fi
npm run --silent migrate >/dev/null
case ",${BENCH_ONLY:-peers}," in *,peers,*) scripts/bench-peers.sh ;; esac
node dist/bench/run.js
