#!/usr/bin/env bash
# Installs everything the tests need on a fresh Debian/Ubuntu machine and runs the whole suite:
# unit specs, then integration suites against a real MariaDB, a real Apache Kafka (a local KRaft
# broker started by the suites' global set-up; private one- and three-node clusters for the
# scenarios that stop brokers) and local HTTP servers, then the fault-injection scenarios
# (npm run test:faults). TEST_DATABASE_URL may point at another MySQL/MariaDB, KAFKA_BROKERS at
# another Kafka cluster.
set -euo pipefail
cd "$(dirname "$0")/.."

KPROXY_WITH_BROWSER=1 scripts/prepare.sh
# Lint first: the fastest stage fails the run before any suite starts.
lint_started=$SECONDS
npm run --silent lint
echo "lint: $((SECONDS - lint_started)) s, exit 0"
if [ -z "${TEST_DATABASE_URL:-}" ]; then
  TEST_DATABASE_URL=$(scripts/mariadb.sh kproxy_test)
  export TEST_DATABASE_URL
fi

mkdir -p test-output
status=0
# Each stage has a ceiling well above its usual time (unit ~1 min, integration ~9, faults ~14 on
# CI's 2 cores), so a hung suite or a Jest that cannot exit fails this run with its name instead
# of using up CI's 90 minutes; results written before a hang still count below.
stage() {
  local name=$1 minutes=$2
  shift 2
  local started=$SECONDS rc=0
  timeout --kill-after=30s "${minutes}m" npx jest --config jest.config.js --selectProjects "$name" \
    --json --outputFile="test-output/$name.json" "$@" || rc=$?
  [ "$rc" -eq 124 ] && echo "$name: did not finish within $minutes minutes (a hung suite, or Jest could not exit)"
  echo "$name: $((SECONDS - started)) s, exit $rc"
  return "$rc"
}
stage unit 10 || status=1
stage integration 30 --runInBand --testTimeout=120000 || status=1
stage faults 35 --runInBand --testTimeout=300000 || status=1

node -e '
  let passed = 0, failed = 0;
  for (const f of ["unit", "integration", "faults"]) {
    try { const r = require("./test-output/" + f + ".json"); passed += r.numPassedTests; failed += r.numFailedTests + r.numRuntimeErrorTestSuites; }
    catch { failed += 1; console.log(f + ": no results"); }
  }
  console.log(`${passed} passed, ${failed} failed`);
  if (passed === 0) process.exit(1);
' || status=1
exit $status
