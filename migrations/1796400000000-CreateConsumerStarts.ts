import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Which subscription has taken up which topic under which group: a group whose committed
 * offsets are gone (offset retention, topic deletion) is then not mistaken for a first start,
 * where `startFrom: latest` would skip everything produced meanwhile.
 */
export class CreateConsumerStarts1796400000000 implements MigrationInterface {
  name = 'CreateConsumerStarts1796400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE consumer_starts (
        subscription_id INT NOT NULL,
        group_id VARCHAR(255) NOT NULL,
        topic VARCHAR(249) NOT NULL,
        first_assigned_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        PRIMARY KEY (subscription_id, group_id, topic),
        CONSTRAINT fk_consumer_starts_subscription FOREIGN KEY (subscription_id) REFERENCES subscriptions (id) ON DELETE CASCADE
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE consumer_starts');
  }
}
