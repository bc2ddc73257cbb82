import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { typeormOptions } from '../../src/database/typeorm-options';
import { MOCK_KAFKA_BINARY, ROOT, TEST_DATABASE_URL } from './test-env';

/** A fresh, migrated test database, and the built proxy and broker harness the suites spawn. */
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
  const ds = new DataSource({ ...typeormOptions({ url: TEST_DATABASE_URL, poolSize: 2 }), migrations: [join(ROOT, 'migrations', '*.ts')] });
  await ds.initialize();
  await ds.runMigrations({ transaction: 'each' });
  await ds.destroy();
}
