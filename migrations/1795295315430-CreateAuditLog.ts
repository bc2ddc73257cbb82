import { MigrationInterface, QueryRunner } from 'typeorm';

/** Every change made through the admin API: who, what, when, and the state before and after (secrets masked). */
export class CreateAuditLog1795295315430 implements MigrationInterface {
  name = 'CreateAuditLog1795295315430';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_log (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        actor VARCHAR(128) NULL,
        role VARCHAR(16) NOT NULL,
        remote VARCHAR(64) NOT NULL,
        instance_id VARCHAR(128) NOT NULL,
        action VARCHAR(64) NOT NULL,
        resource_type VARCHAR(32) NOT NULL,
        resource_id VARCHAR(64) NULL,
        \`before\` JSON NULL,
        \`after\` JSON NULL,
        KEY idx_audit_resource (resource_type, resource_id, id),
        KEY idx_audit_at (at)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE audit_log');
  }
}
