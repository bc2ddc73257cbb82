import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateCoreSchema1795267061898 implements MigrationInterface {
  name = 'CreateCoreSchema1795267061898';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE kafka_sources (
        id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        brokers VARCHAR(1024) NOT NULL,
        topic VARCHAR(249) NOT NULL,
        group_id VARCHAR(255) NULL,
        start_from VARCHAR(16) NOT NULL DEFAULT 'earliest',
        created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
    await q.query(`
      CREATE TABLE etl_configs (
        id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        filter_rules JSON NULL,
        fields JSON NULL,
        created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
    await q.query(`
      CREATE TABLE endpoints (
        id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        url VARCHAR(2048) NOT NULL,
        method VARCHAR(8) NOT NULL DEFAULT 'POST',
        headers JSON NULL,
        timeout_ms INT NOT NULL DEFAULT 5000,
        success_status JSON NULL,
        errcode_path VARCHAR(512) NULL,
        errcode_ok JSON NULL,
        created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
    await q.query(`
      CREATE TABLE subscriptions (
        id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        name VARCHAR(128) NOT NULL,
        kafka_source_id INT NOT NULL,
        etl_config_id INT NULL,
        endpoint_id INT NOT NULL,
        max_retries INT NOT NULL DEFAULT 3,
        backoff_ms INT NOT NULL DEFAULT 200,
        max_backoff_ms INT NOT NULL DEFAULT 30000,
        rate_per_sec DOUBLE NOT NULL DEFAULT 0,
        ordering VARCHAR(16) NOT NULL DEFAULT 'partition',
        max_in_flight INT NOT NULL DEFAULT 1,
        hosts JSON NULL,
        status VARCHAR(16) NOT NULL DEFAULT 'stopped',
        created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
        UNIQUE KEY uq_subscriptions_name (name),
        CONSTRAINT fk_subscriptions_kafka FOREIGN KEY (kafka_source_id) REFERENCES kafka_sources (id),
        CONSTRAINT fk_subscriptions_etl FOREIGN KEY (etl_config_id) REFERENCES etl_configs (id),
        CONSTRAINT fk_subscriptions_endpoint FOREIGN KEY (endpoint_id) REFERENCES endpoints (id)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
    // No foreign key to subscriptions: dead letters outlive the subscription they came from.
    await q.query(`
      CREATE TABLE dead_letters (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        subscription_id INT NOT NULL,
        topic VARCHAR(249) NOT NULL,
        partition_no INT NOT NULL,
        record_offset BIGINT NOT NULL,
        record_key BLOB NULL,
        record_headers JSON NULL,
        record_value LONGBLOB NULL,
        record_timestamp BIGINT NULL,
        transformed_body LONGTEXT NULL,
        reason VARCHAR(32) NOT NULL,
        attempts INT NOT NULL DEFAULT 0,
        last_status INT NULL,
        last_error TEXT NULL,
        response_excerpt TEXT NULL,
        state VARCHAR(16) NOT NULL DEFAULT 'pending',
        first_attempt_at DATETIME(3) NULL,
        last_attempt_at DATETIME(3) NULL,
        created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
        UNIQUE KEY uq_dead_letters_record (subscription_id, topic, partition_no, record_offset),
        KEY ix_dead_letters_state (subscription_id, state, id)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
    await q.query(`
      CREATE TABLE instances (
        id VARCHAR(128) NOT NULL PRIMARY KEY,
        host VARCHAR(255) NOT NULL,
        pid INT NOT NULL,
        version VARCHAR(32) NOT NULL,
        started_at DATETIME(3) NOT NULL,
        last_seen_at DATETIME(3) NOT NULL,
        running JSON NULL,
        stopped_at DATETIME(3) NULL
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE instances');
    await q.query('DROP TABLE dead_letters');
    await q.query('DROP TABLE subscriptions');
    await q.query('DROP TABLE endpoints');
    await q.query('DROP TABLE etl_configs');
    await q.query('DROP TABLE kafka_sources');
  }
}
