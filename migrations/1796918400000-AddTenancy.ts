import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tenants (issue 17): `subscriptions.owner` is the requester team a subscription belongs to
 * (NULL: the operators'), `tickets.team` the team whose token submitted a ticket. An endpoint
 * URL carrying credentials (user info or a query string) is sealed at rest, which outgrows
 * VARCHAR(2048). The group index finds the subscription that holds a consumer group.
 */
export class AddTenancy1796918400000 implements MigrationInterface {
  name = 'AddTenancy1796918400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE subscriptions ADD COLUMN owner VARCHAR(64) NULL AFTER name, ADD INDEX idx_subscriptions_owner (owner)');
    await q.query('ALTER TABLE tickets ADD COLUMN team VARCHAR(64) NULL AFTER requester, ADD INDEX idx_tickets_team (team, state)');
    await q.query('ALTER TABLE endpoints MODIFY url TEXT NOT NULL');
    await q.query('CREATE INDEX idx_kafka_sources_group ON kafka_sources (group_id)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX idx_kafka_sources_group ON kafka_sources');
    await q.query('ALTER TABLE endpoints MODIFY url VARCHAR(2048) NOT NULL');
    await q.query('ALTER TABLE tickets DROP INDEX idx_tickets_team, DROP COLUMN team');
    await q.query('ALTER TABLE subscriptions DROP INDEX idx_subscriptions_owner, DROP COLUMN owner');
  }
}
