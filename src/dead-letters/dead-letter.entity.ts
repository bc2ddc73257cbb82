import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

@Entity({ name: 'dead_letters' })
/** A record's identity: its coordinates and its content digest (offsets are reused when a topic is recreated). */
@Index('uq_dead_letters_record', ['subscriptionId', 'topic', 'partition', 'offset', 'digest'], { unique: true })
@Index('ix_dead_letters_state', ['subscriptionId', 'state', 'id'])
@Index('ix_dead_letters_pending', ['state', 'subscriptionId', 'id'])
@Index('ix_dead_letters_reason', ['reason', 'state', 'id'])
@Index('ix_dead_letters_created', ['createdAt', 'id'])
export class DeadLetterEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'subscription_id', type: 'int' })
  subscriptionId: number;

  @Column({ type: 'varchar', length: 249 })
  topic: string;

  @Column({ name: 'partition_no', type: 'int' })
  partition: number;

  @Column({ name: 'record_offset', type: 'bigint' })
  offset: string;

  /** SHA-256 of key, headers, value and timestamp (record-digest.ts). */
  @Column({ name: 'record_digest', type: 'binary', length: 32 })
  digest: Buffer;

  @Column({ name: 'record_key', type: 'blob', nullable: true })
  key: Buffer | null;

  /** JSON array of [name, base64 value] pairs, in record order. */
  @Column({ name: 'record_headers', type: 'json', nullable: true })
  headers: unknown;

  @Column({ name: 'record_value', type: 'longblob', nullable: true })
  value: Buffer | null;

  @Column({ name: 'record_timestamp', type: 'bigint', nullable: true })
  recordTimestamp: string | null;

  @Column({ name: 'transformed_body', type: 'longtext', nullable: true })
  transformedBody: string | null;

  @Column({ type: 'varchar', length: 32 })
  reason: string;

  @Column({ type: 'int', default: 0 })
  attempts: number;

  @Column({ name: 'last_status', type: 'int', nullable: true })
  lastStatus: number | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  @Column({ name: 'response_excerpt', type: 'text', nullable: true })
  responseExcerpt: string | null;

  /** Original size in bytes of each field stored shortened or left out (dead-letter-bounds.ts); null = all kept. */
  @Column({ name: 'truncated_fields', type: 'json', nullable: true })
  truncatedFields: Record<string, number> | null;

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  state: string;

  /** Set while one caller re-delivers the row; expires so a crashed caller does not hold it. */
  @Column({ name: 'claimed_until', type: 'datetime', precision: 3, nullable: true })
  claimedUntil: Date | null;

  @Column({ name: 'first_attempt_at', type: 'datetime', precision: 3, nullable: true })
  firstAttemptAt: Date | null;

  @Column({ name: 'last_attempt_at', type: 'datetime', precision: 3, nullable: true })
  lastAttemptAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}
