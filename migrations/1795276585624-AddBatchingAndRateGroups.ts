import { MigrationInterface, QueryRunner } from 'typeorm';

/** Batch delivery per subscription, and endpoint groups that share one rate limit. */
export class AddBatchingAndRateGroups1795276585624 implements MigrationInterface {
  name = 'AddBatchingAndRateGroups1795276585624';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE subscriptions ADD COLUMN batch_size INT NOT NULL DEFAULT 1 AFTER max_in_flight, ADD COLUMN batch_wait_ms INT NOT NULL DEFAULT 50 AFTER batch_size');
    await q.query('ALTER TABLE endpoints ADD COLUMN rate_group VARCHAR(128) NULL AFTER errcode_ok, ADD INDEX idx_endpoints_rate_group (rate_group)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE endpoints DROP INDEX idx_endpoints_rate_group, DROP COLUMN rate_group');
    await q.query('ALTER TABLE subscriptions DROP COLUMN batch_wait_ms, DROP COLUMN batch_size');
  }
}
