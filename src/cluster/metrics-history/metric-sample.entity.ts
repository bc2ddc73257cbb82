import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One row of the metrics history: what one instance had counted for one subscription when it
 * sampled (MetricsSampler). Counters are cumulative since `instanceStartedAt` (the process's
 * start): a reader takes differences between consecutive rows of one instance, from zero when
 * the start changes. Bucket columns hold the delivery-duration histogram as comma-separated
 * counts per bucket (DURATION_BUCKETS_SECONDS, then +Inf; not cumulative).
 */
@Entity({ name: 'metric_samples' })
@Index('ix_metric_samples_subscription', ['subscriptionId', 'sampledAt'])
@Index('ix_metric_samples_sampled', ['sampledAt'])
export class MetricSampleEntity {
  @PrimaryGeneratedColumn({ type: 'bigint', unsigned: true })
  id: string;

  @Column({ name: 'subscription_id', type: 'int' })
  subscriptionId: number;

  @Column({ name: 'instance_id', type: 'varchar', length: 128 })
  instanceId: string;

  /** When the sampling process started, by its own clock: only compared for equality. */
  @Column({ name: 'instance_started_at', type: 'datetime', precision: 3 })
  instanceStartedAt: Date;

  /** By the database's clock, shared by every row one tick wrote. */
  @Column({ name: 'sampled_at', type: 'datetime', precision: 3 })
  sampledAt: Date;

  @Column({ type: 'bigint', unsigned: true })
  consumed: string;

  @Column({ type: 'bigint', unsigned: true })
  delivered: string;

  @Column({ type: 'bigint', unsigned: true })
  filtered: string;

  @Column({ type: 'bigint', unsigned: true })
  retried: string;

  @Column({ name: 'dead_lettered', type: 'bigint', unsigned: true })
  deadLettered: string;

  @Column({ name: 'success_buckets', type: 'varchar', length: 512 })
  successBuckets: string;

  @Column({ name: 'failure_buckets', type: 'varchar', length: 512 })
  failureBuckets: string;

  /** Records behind on the partitions it owned, summed; null when it did not know. */
  @Column({ type: 'bigint', unsigned: true, nullable: true })
  lag: string | null;
}
