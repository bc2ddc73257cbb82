import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The dead-letter list's new filters and the subscription list's health filter (issue 20, item
 * 4). ix_dead_letters_state (subscription_id, state, id) serves only lists that name a
 * subscription; these serve the others, each ending in id for the newest-first keyset paging:
 * - ix_dead_letters_pending (state, subscription_id, id): every pending dead letter, and the
 *   subscriptions that have one (read from the index alone);
 * - ix_dead_letters_reason (reason, state, id): by reason across subscriptions;
 * - ix_dead_letters_created (created_at, id): a time range.
 */
export class AddDeadLetterListIndexes1797094820000 implements MigrationInterface {
  name = 'AddDeadLetterListIndexes1797094820000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      'ALTER TABLE dead_letters ADD INDEX ix_dead_letters_pending (state, subscription_id, id), ADD INDEX ix_dead_letters_reason (reason, state, id), ADD INDEX ix_dead_letters_created (created_at, id)',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE dead_letters DROP INDEX ix_dead_letters_pending, DROP INDEX ix_dead_letters_reason, DROP INDEX ix_dead_letters_created');
  }
}
