import { MigrationInterface, QueryRunner } from 'typeorm';

/** SASL/TLS settings (secrets sealed) and allow-listed librdkafka properties per Kafka source. */
export class AddKafkaSecurity1795295043692 implements MigrationInterface {
  name = 'AddKafkaSecurity1795295043692';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE kafka_sources ADD COLUMN security JSON NULL AFTER start_from, ADD COLUMN properties JSON NULL AFTER security');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE kafka_sources DROP COLUMN properties, DROP COLUMN security');
  }
}
