import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'instances' })
export class InstanceEntity {
  @PrimaryColumn({ type: 'varchar', length: 128 })
  id: string;

  @Column({ type: 'varchar', length: 255 })
  host: string;

  @Column({ type: 'int' })
  pid: number;

  @Column({ type: 'varchar', length: 32 })
  version: string;

  @Column({ name: 'started_at', type: 'datetime', precision: 3 })
  startedAt: Date;

  @Column({ name: 'last_seen_at', type: 'datetime', precision: 3 })
  lastSeenAt: Date;

  /** When its current run of heartbeats began (none missed by more than INSTANCE_TIMEOUT_MS), by the database clock. */
  @Column({ name: 'live_since', type: 'datetime', precision: 3, nullable: true })
  liveSince: Date | null;

  /** What this instance runs: [{subscriptionId, state, partitions}]. */
  @Column({ type: 'json', nullable: true })
  running: unknown;

  /** Per-subscription counters since this instance started: {"<id>": {consumed, ...}}. */
  @Column({ type: 'json', nullable: true })
  counters: unknown;

  @Column({ name: 'stopped_at', type: 'datetime', precision: 3, nullable: true })
  stoppedAt: Date | null;
}
