import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A byte cap on batch bodies (issue 15, item 6): a batch of large records could exceed what the
 * endpoint accepts (express answers 413 over 100 KB, nginx over 1 MiB by default). The default
 * is nginx's 1 MiB, so existing rows and rows inserted by SQL get a cap without saying so.
 */
export class AddMaxBatchBytes1796472000000 implements MigrationInterface {
  name = 'AddMaxBatchBytes1796472000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE subscriptions ADD COLUMN max_batch_bytes INT NOT NULL DEFAULT 1048576 AFTER batch_wait_ms');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE subscriptions DROP COLUMN max_batch_bytes');
  }
}
