import { MigrationInterface, QueryRunner } from 'typeorm';

/** Each instance heartbeats its per-subscription counters, so status can sum the cluster. */
export class AddInstanceCounters1795268999000 implements MigrationInterface {
  name = 'AddInstanceCounters1795268999000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE instances ADD COLUMN counters JSON NULL AFTER running');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE instances DROP COLUMN counters');
  }
}
