import { ExactJsonColumn } from '../../database/exact-json-column';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

@Entity({ name: 'etl_configs' })
export class EtlConfigEntity {
  @PrimaryGeneratedColumn()
  id: number;

  /** JSON array of {path, op, value}; text, so that values keep every digit (ExactJsonColumn). */
  @Column({ name: 'filter_rules', type: 'longtext', nullable: true, transformer: ExactJsonColumn.instance })
  filterRules: unknown;

  /** JSON object {outputName: jsonPath}. */
  @Column({ type: 'json', nullable: true })
  fields: unknown;

  @CreateDateColumn({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}
