import { MigrationInterface, QueryRunner } from 'typeorm';

/** Kafka record headers an endpoint wants forwarded, and under which HTTP header names. */
export class AddEndpointRecordHeaders1795288900194 implements MigrationInterface {
  name = 'AddEndpointRecordHeaders1795288900194';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE endpoints ADD COLUMN record_headers JSON NULL AFTER rate_group');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE endpoints DROP COLUMN record_headers');
  }
}
