import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Batches an endpoint can take (issue 15, items 6 and 7). `max_batch_bytes`: a batch of large
 * records could exceed what the endpoint accepts (express answers 413 over 100 KB, nginx over
 * 1 MiB by default); the default is nginx's 1 MiB, so existing rows and rows inserted by SQL get
 * a cap without saying so. `item_results_path`: where an endpoint answering per-record results
 * lists them, so only the records it refused are dead-lettered (NULL = it does not).
 */
export class AddBatchBytesAndItemResults1796572800000 implements MigrationInterface {
  name = 'AddBatchBytesAndItemResults1796572800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE subscriptions ADD COLUMN max_batch_bytes INT NOT NULL DEFAULT 1048576 AFTER batch_wait_ms');
    await q.query('ALTER TABLE endpoints ADD COLUMN item_results_path VARCHAR(512) NULL AFTER errcode_ok');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE endpoints DROP COLUMN item_results_path');
    await q.query('ALTER TABLE subscriptions DROP COLUMN max_batch_bytes');
  }
}
