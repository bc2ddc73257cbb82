import { MigrationInterface, QueryRunner } from 'typeorm';

/** Subscription requests that wait for an operator's approval. */
export class CreateTickets1795288573754 implements MigrationInterface {
  name = 'CreateTickets1795288573754';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tickets (
        id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        state VARCHAR(16) NOT NULL DEFAULT 'pending',
        requester VARCHAR(100) NOT NULL,
        reason TEXT NOT NULL,
        name VARCHAR(128) NOT NULL,
        spec JSON NOT NULL,
        subscription_id INT NULL,
        decided_by VARCHAR(100) NULL,
        decided_at DATETIME(3) NULL,
        rejection_reason TEXT NULL,
        created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
        KEY ix_tickets_state (state, id)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE tickets');
  }
}
