import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Endpoint outages (issue 16): `circuit_breaker` holds a subscription's breaker settings as JSON
 * (NULL = the defaults, so existing rows and rows inserted by SQL get the breaker without saying
 * so); `adaptive_concurrency` = 1 makes maxInFlight a ceiling the limit adapts under.
 */
export class AddCircuitBreakerAndAdaptiveConcurrency1796745600000 implements MigrationInterface {
  name = 'AddCircuitBreakerAndAdaptiveConcurrency1796745600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE subscriptions ADD COLUMN circuit_breaker JSON NULL AFTER max_batch_bytes');
    await q.query('ALTER TABLE subscriptions ADD COLUMN adaptive_concurrency TINYINT(1) NOT NULL DEFAULT 1 AFTER circuit_breaker');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE subscriptions DROP COLUMN adaptive_concurrency');
    await q.query('ALTER TABLE subscriptions DROP COLUMN circuit_breaker');
  }
}
