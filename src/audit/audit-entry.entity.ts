import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity({ name: 'audit_log' })
export class AuditEntryEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'datetime', precision: 3, default: () => 'CURRENT_TIMESTAMP(3)' })
  at: Date;

  /** The X-Kproxy-Actor header, when the caller named who acts. */
  @Column({ type: 'varchar', length: 128, nullable: true })
  actor: string | null;

  @Column({ type: 'varchar', length: 16 })
  role: string;

  @Column({ type: 'varchar', length: 64 })
  remote: string;

  @Column({ name: 'instance_id', type: 'varchar', length: 128 })
  instanceId: string;

  @Column({ type: 'varchar', length: 64 })
  action: string;

  @Column({ name: 'resource_type', type: 'varchar', length: 32 })
  resourceType: string;

  @Column({ name: 'resource_id', type: 'varchar', length: 64, nullable: true })
  resourceId: string | null;

  @Column({ type: 'json', nullable: true })
  before: unknown;

  @Column({ type: 'json', nullable: true })
  after: unknown;
}
