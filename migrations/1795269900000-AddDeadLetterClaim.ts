import { MigrationInterface, QueryRunner } from 'typeorm';

/** A short claim on a dead letter while it is re-delivered, so two callers never both send it. */
export class AddDeadLetterClaim1795269900000 implements MigrationInterface {
  name = 'AddDeadLetterClaim1795269900000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE dead_letters ADD COLUMN claimed_until DATETIME(3) NULL AFTER state');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE dead_letters DROP COLUMN claimed_until');
  }
}
