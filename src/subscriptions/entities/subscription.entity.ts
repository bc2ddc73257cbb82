import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn, VersionColumn } from 'typeorm';
import { EndpointEntity } from './endpoint.entity';
import { EtlConfigEntity } from './etl-config.entity';
import { KafkaSourceEntity } from './kafka-source.entity';

@Entity({ name: 'subscriptions' })
export class SubscriptionEntity {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: 128, unique: true })
  name: string;

  /** The requester team it belongs to (set from the approved ticket, or by an operator); null: the operators'. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  owner: string | null;

  @ManyToOne(() => KafkaSourceEntity, { eager: true, nullable: false, cascade: ['insert', 'update'] })
  @JoinColumn({ name: 'kafka_source_id' })
  kafka: KafkaSourceEntity;

  @ManyToOne(() => EtlConfigEntity, { eager: true, nullable: true, cascade: ['insert', 'update'] })
  @JoinColumn({ name: 'etl_config_id' })
  etl: EtlConfigEntity | null;

  @ManyToOne(() => EndpointEntity, { eager: true, nullable: false, cascade: ['insert', 'update'] })
  @JoinColumn({ name: 'endpoint_id' })
  endpoint: EndpointEntity;

  @Column({ name: 'max_retries', type: 'int', default: 3 })
  maxRetries: number;

  @Column({ name: 'backoff_ms', type: 'int', default: 200 })
  backoffMs: number;

  @Column({ name: 'max_backoff_ms', type: 'int', default: 30000 })
  maxBackoffMs: number;

  @Column({ name: 'rate_per_sec', type: 'double', default: 0 })
  ratePerSec: number;

  @Column({ type: 'varchar', length: 16, default: 'partition' })
  ordering: string;

  @Column({ name: 'max_in_flight', type: 'int', default: 1 })
  maxInFlight: number;

  @Column({ name: 'batch_size', type: 'int', default: 1 })
  batchSize: number;

  @Column({ name: 'batch_wait_ms', type: 'int', default: 50 })
  batchWaitMs: number;

  @Column({ name: 'max_batch_bytes', type: 'int', default: 1048576 })
  maxBatchBytes: number;

  /** `delivery.circuitBreaker` as JSON; null = the defaults. */
  @Column({ name: 'circuit_breaker', type: 'json', nullable: true })
  circuitBreaker: unknown;

  @Column({ name: 'adaptive_concurrency', type: 'boolean', default: true })
  adaptiveConcurrency: boolean;

  @Column({ name: 'key_parking', type: 'boolean', default: false })
  keyParking: boolean;

  /** JSON array of instance ids; null or [] = any instance. */
  @Column({ type: 'json', nullable: true })
  hosts: unknown;

  /** Instances it runs on when `hosts` is empty; NULL = SUBSCRIPTION_REPLICAS. */
  @Column({ type: 'int', nullable: true })
  replicas: number | null;

  /** Alert settings (JSON); NULL = the global defaults. */
  @Column({ type: 'json', nullable: true })
  alerts: unknown;

  @Column({ type: 'varchar', length: 16, default: 'stopped' })
  status: string;

  /** Goes up with every change to the row or its config rows; PATCH writes only on the version it read. Exposed as the ETag. */
  @VersionColumn({ type: 'int', default: 1 })
  version: number;

  /** Goes up with every status command, even one that changes nothing, so a reset sees that someone chose the status. */
  @Column({ name: 'status_version', type: 'int', default: 0 })
  statusVersion: number;

  @CreateDateColumn({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}
