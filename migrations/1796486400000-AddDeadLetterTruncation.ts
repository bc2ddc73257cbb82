import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Dead-letter rows are bounded by design (src/dead-letters/dead-letter-bounds.ts): a field stored
 * shortened or left out is named here with its original size in bytes, e.g. {"value": 17000000}.
 * NULL = every field is kept in full (all rows written before this change).
 */
export class AddDeadLetterTruncation1796486400000 implements MigrationInterface {
  name = 'AddDeadLetterTruncation1796486400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE dead_letters ADD COLUMN truncated_fields JSON NULL AFTER response_excerpt');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE dead_letters DROP COLUMN truncated_fields');
  }
}
