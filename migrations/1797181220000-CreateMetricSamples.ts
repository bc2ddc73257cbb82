import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The metrics history behind GET /api/subscriptions/:id/metrics (issue 20, item 5): every
 * METRICS_SAMPLE_INTERVAL_MS each instance writes one row per subscription it runs, with its
 * cumulative counters, its delivery-duration histogram buckets and its lag; rows older than
 * METRICS_RETENTION_MS are deleted in bounded batches. ix_metric_samples_subscription serves the
 * series of one subscription, ix_metric_samples_sampled the pruning. No foreign key: the table
 * takes a row per subscription per instance per interval, and a deleted subscription's rows age
 * out with the rest.
 */
export class CreateMetricSamples1797181220000 implements MigrationInterface {
  name = 'CreateMetricSamples1797181220000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE metric_samples (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
      subscription_id INT NOT NULL,
      instance_id VARCHAR(128) NOT NULL,
      instance_started_at DATETIME(3) NOT NULL,
      sampled_at DATETIME(3) NOT NULL,
      consumed BIGINT UNSIGNED NOT NULL,
      delivered BIGINT UNSIGNED NOT NULL,
      filtered BIGINT UNSIGNED NOT NULL,
      retried BIGINT UNSIGNED NOT NULL,
      dead_lettered BIGINT UNSIGNED NOT NULL,
      success_buckets VARCHAR(512) NOT NULL,
      failure_buckets VARCHAR(512) NOT NULL,
      lag BIGINT UNSIGNED NULL,
      PRIMARY KEY (id),
      INDEX ix_metric_samples_subscription (subscription_id, sampled_at),
      INDEX ix_metric_samples_sampled (sampled_at)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE metric_samples');
  }
}
