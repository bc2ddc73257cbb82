import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Where each partition of a subscription's topic started the first time it was taken up under a
 * group (its `startFrom`, resolved once, or the beginning of a partition added later). Members
 * starting together read the same positions (first writer wins), and a group whose committed
 * offsets Kafka forgot (offset retention, topic deletion) is not mistaken for a first start,
 * where `startFrom: latest` would skip everything produced meanwhile. `topic_id` (the broker's
 * topic id, KIP-516) tells a topic deleted and recreated under the same name apart.
 */
export class CreateConsumerStarts1796400000000 implements MigrationInterface {
  name = 'CreateConsumerStarts1796400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE consumer_starts (
        subscription_id INT NOT NULL,
        group_id VARCHAR(255) NOT NULL,
        topic VARCHAR(249) NOT NULL,
        topic_id VARCHAR(32) NULL,
        partition_no INT NOT NULL,
        start_offset BIGINT NOT NULL,
        reason VARCHAR(16) NOT NULL,
        decided_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        PRIMARY KEY (subscription_id, group_id, topic, partition_no),
        CONSTRAINT fk_consumer_starts_subscription FOREIGN KEY (subscription_id) REFERENCES subscriptions (id) ON DELETE CASCADE
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE consumer_starts');
  }
}
