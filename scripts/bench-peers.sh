#!/usr/bin/env bash
# Builds the benchmark's peers (bench/peers/<name>/, see bench/peers.ts) on first use and after
# any change to their lockfile, pom.xml or sources: the Node peers from their own package-lock.json
# (npm ci into bench/peers/<name>/node_modules, never kproxy's) compiled with kproxy's TypeScript,
# the JVM peer with Maven from Maven Central (target/classes + target/lib). Needs npm, java 17+, mvn.
set -euo pipefail
cd "$(dirname "$0")/.."
tsc="$PWD/node_modules/.bin/tsc"
for peer in nestjs kafkajs; do
  dir=bench/peers/$peer
  want=$(cat "$dir/package-lock.json" "$dir/tsconfig.json" "$dir"/src/*.ts | sha256sum | cut -d' ' -f1)
  if [ -f "$dir/dist/.built" ] && [ "$(cat "$dir/dist/.built")" = "$want" ]; then continue; fi
  echo "building benchmark peer $peer" >&2
  npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error >&2
  rm -rf "$dir/dist"
  "$tsc" -p "$dir/tsconfig.json"
  echo "$want" > "$dir/dist/.built"
done
dir=bench/peers/parallel-consumer
want=$(find "$dir/pom.xml" "$dir/src" -type f -print0 | sort -z | xargs -0 cat | sha256sum | cut -d' ' -f1)
if [ ! -f "$dir/target/.built" ] || [ "$(cat "$dir/target/.built")" != "$want" ]; then
  command -v mvn >/dev/null || { echo "mvn is missing: run scripts/system-deps.sh (it installs Maven and a JDK)" >&2; exit 1; }
  echo "building benchmark peer parallel-consumer" >&2
  mvn -q -B -f "$dir/pom.xml" clean package >&2
  echo "$want" > "$dir/target/.built"
fi
