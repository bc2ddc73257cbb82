import { ExactJsonColumn } from '../database/exact-json-column';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type TicketState = 'pending' | 'approved' | 'rejected';

/** A requested subscription: its body as submitted, and the operator's decision. */
@Entity({ name: 'tickets' })
export class TicketEntity {
  @PrimaryGeneratedColumn({ type: 'int' })
  id: number;

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  state: TicketState;

  @Column({ type: 'varchar', length: 100 })
  requester: string;

  /** The team whose requester token submitted it; null when an operator (or an open API) did. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  team: string | null;

  @Column({ type: 'text' })
  reason: string;

  @Column({ type: 'varchar', length: 128 })
  name: string;

  /** The subscription body (API input shape), validated when the ticket was submitted. */
  @Column({ type: 'longtext', transformer: ExactJsonColumn.instance })
  spec: Record<string, unknown>;

  @Column({ name: 'subscription_id', type: 'int', nullable: true })
  subscriptionId: number | null;

  @Column({ name: 'decided_by', type: 'varchar', length: 100, nullable: true })
  decidedBy: string | null;

  @Column({ name: 'decided_at', type: 'datetime', precision: 3, nullable: true })
  decidedAt: Date | null;

  @Column({ name: 'rejection_reason', type: 'text', nullable: true })
  rejectionReason: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}
