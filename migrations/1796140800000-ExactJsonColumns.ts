import { MigrationInterface, QueryRunner } from 'typeorm';

const COLUMNS = [
  ['etl_configs', 'filter_rules', 'NULL'],
  ['endpoints', 'errcode_ok', 'NULL'],
  ['tickets', 'spec', 'NOT NULL'],
] as const;

/**
 * Filter rules, errcodes and ticket bodies as JSON text rather than MySQL's `json` type, which
 * keeps numbers as int64/double: 9007199254740993.5 or a 20-digit id would be altered. MariaDB's
 * JSON is already LONGTEXT; on both the JSON_VALID check keeps hand-written rows honest.
 */
export class ExactJsonColumns1796140800000 implements MigrationInterface {
  name = 'ExactJsonColumns1796140800000';

  async up(q: QueryRunner): Promise<void> {
    for (const [table, column, nullability] of COLUMNS) {
      await q.query(
        `ALTER TABLE ${table} MODIFY ${column} LONGTEXT ${nullability}, ADD CONSTRAINT chk_${table}_${column}_json CHECK (JSON_VALID(${column}))`,
      );
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const [table, column, nullability] of COLUMNS) {
      await q.query(`ALTER TABLE ${table} DROP CONSTRAINT chk_${table}_${column}_json, MODIFY ${column} JSON ${nullability}`);
    }
  }
}
