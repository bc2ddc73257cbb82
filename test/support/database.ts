import { createConnection } from 'mysql2/promise';
import { TEST_DATABASE_URL } from './test-env';

/**
 * Suites share one database and run one after another; each starts from empty tables so that
 * a proxy never picks up another suite's running subscriptions (whose broker is gone).
 */
export async function resetDatabase(): Promise<void> {
  const conn = await createConnection(TEST_DATABASE_URL);
  try {
    await conn.query('SET FOREIGN_KEY_CHECKS = 0');
    for (const table of [
      'subscriptions',
      'kafka_sources',
      'etl_configs',
      'endpoints',
      'dead_letters',
      'instances',
      'tickets',
      'audit_log',
      'consumer_starts',
      'metric_samples',
    ]) {
      await conn.query(`TRUNCATE TABLE ${table}`);
    }
    await conn.query('SET FOREIGN_KEY_CHECKS = 1');
  } finally {
    await conn.end();
  }
}
