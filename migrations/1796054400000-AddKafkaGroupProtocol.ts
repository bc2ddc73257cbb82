import { MigrationInterface, QueryRunner } from 'typeorm';

/** The consumer group protocol per Kafka source: `classic` (default) or `consumer` (KIP-848). */
export class AddKafkaGroupProtocol1796054400000 implements MigrationInterface {
  name = 'AddKafkaGroupProtocol1796054400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query("ALTER TABLE kafka_sources ADD COLUMN group_protocol VARCHAR(16) NOT NULL DEFAULT 'classic' AFTER start_from");
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE kafka_sources DROP COLUMN group_protocol');
  }
}
