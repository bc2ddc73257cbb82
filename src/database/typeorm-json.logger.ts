import type { Logger as TypeOrmLogger } from 'typeorm';
import { JsonLogger } from '../common/logging/json.logger';

/**
 * TypeORM's logger for kproxy: TypeORM's warnings only, as JSON lines. TypeORM's own loggers
 * print the statement and its parameters, and dead-letter parameters are record payloads
 * (personal data, megabytes). Failed queries are not logged here: the error reaches the code
 * that handles it, which logs it once with its context (subscription, partition, offset).
 * TypeORM calls a custom logger for every level whatever `logging` says, so the filter is here.
 */
export class TypeormJsonLogger implements TypeOrmLogger {
  constructor(private readonly logger: JsonLogger = new JsonLogger()) {}

  logQuery(): void {}

  logQuerySlow(): void {}

  logQueryError(): void {}

  logSchemaBuild(): void {}

  logMigration(message: string): void {
    this.logger.info(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.logger.warn(message);
  }
}
