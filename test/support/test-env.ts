import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'mysql://kproxy:kproxy@127.0.0.1:3306/kproxy_test';
export const MOCK_KAFKA_BINARY = join(ROOT, '.run', 'mock-kafka');
/** The key test proxies seal secrets with (tests read the sealed rows back). */
export const TEST_SECRETS_KEY = 'dGVzdC1vbmx5LXNlY3JldHMta2V5LTMyLWJ5dGVzISE=';
/** A real cluster to run the suites against instead of the mock broker (see README, Tests). */
export const EXTERNAL_KAFKA_BROKERS = process.env.KAFKA_BROKERS || undefined;
