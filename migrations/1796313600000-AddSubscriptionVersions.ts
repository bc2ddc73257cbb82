import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Optimistic concurrency for admin writes (issue 14, item 11): `version` goes up with every
 * change to a subscription or its config rows, and a PATCH writes only on the version it read;
 * `status_version` goes up with every status command (start, stop, a PATCH that sends status),
 * so an offset reset restarts only a subscription nobody set the status of while it ran.
 */
export class AddSubscriptionVersions1796313600000 implements MigrationInterface {
  name = 'AddSubscriptionVersions1796313600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      'ALTER TABLE subscriptions ADD COLUMN version INT NOT NULL DEFAULT 1 AFTER status, ADD COLUMN status_version INT NOT NULL DEFAULT 0 AFTER version',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE subscriptions DROP COLUMN status_version, DROP COLUMN version');
  }
}
