import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'mysql://kproxy:kproxy@127.0.0.1:3306/kproxy_test';
export const MOCK_KAFKA_BINARY = join(ROOT, '.run', 'mock-kafka');
/** The key test proxies seal secrets with (tests read the sealed rows back). */
export const TEST_SECRETS_KEY = 'dGVzdC1vbmx5LXNlY3JldHMta2V5LTMyLWJ5dGVzISE=';
/** Where the shared local broker of a test run keeps its state and logs (global set-up). */
export const SHARED_KAFKA_DIR = join(ROOT, '.run', 'test-kafka', 'shared');

/**
 * The real Kafka the suites share: KAFKA_BROKERS when given (an outside cluster), else the
 * local broker the global set-up started and published in the same variable. Read per call:
 * the set-up sets it after this module loaded.
 */
export function sharedKafkaBrokers(): string {
  const brokers = process.env.KAFKA_BROKERS;
  if (!brokers) throw new Error("KAFKA_BROKERS is not set: run the suites through jest with this project's config (its global set-up starts a broker)");
  return brokers;
}

/** Cases the data-path fuzz test runs: a bounded number in CI, more on demand (FUZZ_RUNS=500). */
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 12);
/** Replays one fuzz run (fast-check prints the seed of a failing one). */
export const FUZZ_SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
