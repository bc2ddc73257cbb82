import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

@Entity({ name: 'kafka_sources' })
export class KafkaSourceEntity {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: 1024 })
  brokers: string;

  @Column({ type: 'varchar', length: 249 })
  topic: string;

  @Column({ name: 'group_id', type: 'varchar', length: 255, nullable: true })
  groupId: string | null;

  @Column({ name: 'start_from', type: 'varchar', length: 16, default: 'earliest' })
  startFrom: string;

  /** `classic` or `consumer` (KIP-848). */
  @Column({ name: 'group_protocol', type: 'varchar', length: 16, default: 'classic' })
  groupProtocol: string;

  /** protocol, sasl and tls; the password and private key are sealed (see SubscriptionSecrets). */
  @Column({ type: 'json', nullable: true })
  security: unknown;

  /** Allow-listed librdkafka properties. */
  @Column({ type: 'json', nullable: true })
  properties: unknown;

  @CreateDateColumn({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}
