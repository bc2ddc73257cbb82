import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { APP_ENTITIES } from '../app-entities';
import { AppConfig } from '../config/app.config';
import { InvalidConfigError } from '../config/invalid-config.error';
import { typeormOptions } from '../database/typeorm-options';
import { SubscriptionSecrets } from '../subscriptions/subscription-secrets';
import { SecretBox } from '../secrets/secret-box';

/** Where secrets live, and how each column's value sits in a subscription body. */
const COLUMNS = [
  { table: 'endpoints', column: 'headers', json: true, wrap: (v: unknown) => ({ endpoint: { headers: v } }), unwrap: (b: any) => b.endpoint.headers },
  // A URL carrying credentials is sealed; the column holds the text itself, not JSON.
  { table: 'endpoints', column: 'url', json: false, wrap: (v: unknown) => ({ endpoint: { url: v } }), unwrap: (b: any) => b.endpoint.url },
  { table: 'subscriptions', column: 'alerts', json: true, wrap: (v: unknown) => ({ alerts: v }), unwrap: (b: any) => b.alerts },
  { table: 'kafka_sources', column: 'security', json: true, wrap: (v: unknown) => ({ kafka: { security: v } }), unwrap: (b: any) => b.kafka.security },
  { table: 'tickets', column: 'spec', json: true, wrap: (v: unknown) => v, unwrap: (b: unknown) => b },
] as const;

/**
 * npm run secrets:reseal — seals every secret with SECRETS_KEY: values sealed with a key in
 * SECRETS_PREVIOUS_KEYS (after a rotation) and plain values (rows written by hand, or stored
 * before encryption at rest). Each table is rewritten in one transaction with its rows locked.
 * Refuses to change anything in a table where some value opens with none of the keys.
 */
async function main(): Promise<void> {
  const { database, secretKeys } = AppConfig.secretsToolFromProcessEnv();
  const secrets = new SubscriptionSecrets(new SecretBox(secretKeys.current, secretKeys.previous));
  const dataSource = new DataSource(typeormOptions(database, APP_ENTITIES));
  await dataSource.initialize();
  try {
    for (const { table, column, json, wrap, unwrap } of COLUMNS) {
      const changed = await dataSource.transaction(async (em) => {
        const rows: Array<{ id: number; value: unknown }> = await em.query(
          `SELECT id, ${column} AS value FROM ${table} WHERE ${column} IS NOT NULL FOR UPDATE`,
        );
        let n = 0;
        for (const row of rows) {
          let resealed: unknown;
          try {
            const value = json && typeof row.value === 'string' ? JSON.parse(row.value) : row.value;
            resealed = secrets.reseal(wrap(value));
          } catch (err) {
            throw new Error(`${table} ${row.id}: ${(err as Error).message}`);
          }
          if (resealed === null) continue;
          const next = unwrap(resealed);
          await em.query(`UPDATE ${table} SET ${column} = ? WHERE id = ?`, [json ? JSON.stringify(next) : next, row.id]);
          n++;
        }
        return n;
      });
      process.stdout.write(
        JSON.stringify({ level: 'info', msg: 'secrets resealed', table, column, rows: changed, keyId: SecretBox.keyId(secretKeys.current) }) + '\n',
      );
    }
  } finally {
    await dataSource.destroy();
  }
}

main().catch((err: unknown) => {
  const message =
    err instanceof InvalidConfigError ? err.message : `resealing failed, nothing in that table changed: ${String((err as Error)?.message ?? err)}`;
  process.stderr.write(message + '\n');
  process.exit(1);
});
