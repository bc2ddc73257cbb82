import type { Logger as TypeOrmLogger } from 'typeorm';
import { JsonLogger } from '../common/logging/json.logger';
import { sqlErrorSummary } from './sql-failure';

/**
 * TypeORM's logger for kproxy: one JSON line per failed query with the error's code, number and
 * message only. TypeORM's own loggers print the statement and its parameters, and dead-letter
 * parameters are record payloads (personal data, megabytes). Successful and slow queries are
 * not logged.
 */
export class TypeormJsonLogger implements TypeOrmLogger {
  constructor(private readonly logger: JsonLogger = new JsonLogger()) {}

  logQuery(): void {}

  logQuerySlow(): void {}

  logQueryError(error: string | Error): void {
    this.logger.error('database query failed', { ...sqlErrorSummary(error) });
  }

  logSchemaBuild(message: string): void {
    this.logger.info(message);
  }

  logMigration(message: string): void {
    this.logger.info(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.logger.warn(message);
    else this.logger.info(message);
  }
}
