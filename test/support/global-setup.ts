import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { LocalKafkaCluster } from '../../scripts/kafka/kafka-cluster';
import { APP_ENTITIES } from '../../src/app-entities';
import { typeormOptions } from '../../src/database/typeorm-options';
import { MOCK_KAFKA_BINARY, ROOT, SHARED_KAFKA_DIR, TEST_DATABASE_URL } from './test-env';

/**
 * A fresh, migrated test database; the built proxy and mock harness the suites spawn; and the
 * run's shared real Kafka: KAFKA_BROKERS when given, else a local single-node broker started
 * here (stopped by the global tear-down) and published to the suites in KAFKA_BROKERS.
 */
export default async function globalSetup(): Promise<void> {
  for (const file of [join(ROOT, 'dist', 'src', 'main.js'), MOCK_KAFKA_BINARY]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run the tests through scripts/test.sh (it builds both)`);
  }
  const url = new URL(TEST_DATABASE_URL);
  const db = url.pathname.slice(1);
  const conn = await createConnection({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  });
  await conn.query(`DROP DATABASE IF EXISTS \`${db}\``);
  await conn.query(`CREATE DATABASE \`${db}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  await conn.end();
  const ds = new DataSource({ ...typeormOptions({ url: TEST_DATABASE_URL, poolSize: 2 }, APP_ENTITIES), migrations: [join(ROOT, 'migrations', '*.ts')] });
  await ds.initialize();
  await ds.runMigrations({ transaction: 'each' });
  await ds.destroy();

  if (!process.env.KAFKA_BROKERS) {
    const kafka = await LocalKafkaCluster.start({ dir: SHARED_KAFKA_DIR, nodes: 1 });
    process.env.KAFKA_BROKERS = kafka.bootstrap;
    process.env.KPROXY_TEST_STARTED_KAFKA = '1';
  }
}
