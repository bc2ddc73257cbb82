import { ExactJsonColumn } from '../../database/exact-json-column';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

@Entity({ name: 'endpoints' })
export class EndpointEntity {
  @PrimaryGeneratedColumn()
  id: number;

  /** Sealed at rest when it carries credentials (user info or a query string). */
  @Column({ type: 'text' })
  url: string;

  @Column({ type: 'varchar', length: 8, default: 'POST' })
  method: string;

  @Column({ type: 'json', nullable: true })
  headers: unknown;

  @Column({ name: 'timeout_ms', type: 'int', default: 5000 })
  timeoutMs: number;

  @Column({ name: 'success_status', type: 'json', nullable: true })
  successStatus: unknown;

  @Column({ name: 'errcode_path', type: 'varchar', length: 1024, nullable: true })
  errcodePath: string | null;

  /** JSON array of errcodes; text, so that numbers keep every digit (ExactJsonColumn). */
  @Column({ name: 'errcode_ok', type: 'longtext', nullable: true, transformer: ExactJsonColumn.instance })
  errcodeOk: unknown;

  @Column({ name: 'item_results_path', type: 'varchar', length: 1024, nullable: true })
  itemResultsPath: string | null;

  @Column({ name: 'rate_group', type: 'varchar', length: 128, nullable: true })
  rateGroup: string | null;

  /** Record header name to HTTP header name; NULL = forward none. */
  @Column({ name: 'record_headers', type: 'json', nullable: true })
  recordHeaders: unknown;

  @CreateDateColumn({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}
