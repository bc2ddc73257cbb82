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
npm run --silent lint
if [ -z "${TEST_DATABASE_URL:-}" ]; then
  TEST_DATABASE_URL=$(scripts/mariadb.sh kproxy_test)
  export TEST_DATABASE_URL
fi

mkdir -p test-output
status=0
npx jest --config jest.config.js --selectProjects unit --json --outputFile=test-output/unit.json || status=1
npx jest --config jest.config.js --selectProjects integration --runInBand --testTimeout=120000 \
  --json --outputFile=test-output/integration.json || status=1
npx jest --config jest.config.js --selectProjects faults --runInBand --testTimeout=300000 \
  --json --outputFile=test-output/faults.json || status=1

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
