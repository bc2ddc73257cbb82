import type { ValueTransformer } from 'typeorm';
import { ExactJson } from '../common/json/exact-json';

/**
 * TypeORM transformer for a LONGTEXT column holding JSON with exact numbers. A MySQL `json`
 * column stores numbers as int64/double (MySQL 8 reference, "The JSON Data Type"), so a
 * 64-bit filter value or a long decimal would be altered; as text, ExactJson writes and reads
 * the digits as given. A value the driver already parsed (a column not yet migrated) passes.
 */
export class ExactJsonColumn implements ValueTransformer {
  static readonly instance = new ExactJsonColumn();

  to(value: unknown): string | null {
    return value === null || value === undefined ? null : (ExactJson.stringify(value) ?? null);
  }

  from(value: unknown): unknown {
    return typeof value === 'string' ? ExactJson.parse(value) : value;
  }
}
