import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-key order through failures (issue 16, item 4): `key_parking` = 1 parks later records of a
 * key behind its pending dead letter. The index finds a key's pending rows in record order, for
 * the parked-key load and for re-delivery in order.
 */
export class AddKeyParking1796832000000 implements MigrationInterface {
  name = 'AddKeyParking1796832000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE subscriptions ADD COLUMN key_parking TINYINT(1) NOT NULL DEFAULT 0 AFTER adaptive_concurrency');
    await q.query('CREATE INDEX idx_dead_letters_key ON dead_letters (subscription_id, state, record_key(64), partition_no, record_offset)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX idx_dead_letters_key ON dead_letters');
    await q.query('ALTER TABLE subscriptions DROP COLUMN key_parking');
  }
}
