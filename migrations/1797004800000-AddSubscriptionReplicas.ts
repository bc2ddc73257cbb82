import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Placement (issue 18): `replicas` is how many live instances run a subscription whose `hosts`
 * is empty, chosen by rendezvous hashing; NULL takes the instances' SUBSCRIPTION_REPLICAS.
 * `instances.live_since` is when an instance's current run of heartbeats began (database clock),
 * so a (re)joining instance counts for placement only once it has kept beating.
 */
export class AddSubscriptionReplicas1797004800000 implements MigrationInterface {
  name = 'AddSubscriptionReplicas1797004800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE subscriptions ADD COLUMN replicas INT NULL AFTER hosts');
    await q.query('ALTER TABLE instances ADD COLUMN live_since DATETIME(3) NULL AFTER last_seen_at');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE instances DROP COLUMN live_since');
    await q.query('ALTER TABLE subscriptions DROP COLUMN replicas');
  }
}
