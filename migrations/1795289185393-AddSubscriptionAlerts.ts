import { MigrationInterface, QueryRunner } from 'typeorm';

/** Per-subscription alert settings (webhook, format, thresholds, windows). */
export class AddSubscriptionAlerts1795289185393 implements MigrationInterface {
  name = 'AddSubscriptionAlerts1795289185393';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE subscriptions ADD COLUMN alerts JSON NULL AFTER hosts');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE subscriptions DROP COLUMN alerts');
  }
}
