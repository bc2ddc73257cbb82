import { join } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import type { DatabaseSettings } from '../config/app.config';
import { AuditEntryEntity } from '../audit/audit-entry.entity';
import { InstanceEntity } from '../cluster/instance.entity';
import { DeadLetterEntity } from '../dead-letters/dead-letter.entity';
import { EndpointEntity } from '../subscriptions/entities/endpoint.entity';
import { EtlConfigEntity } from '../subscriptions/entities/etl-config.entity';
import { KafkaSourceEntity } from '../subscriptions/entities/kafka-source.entity';
import { SubscriptionEntity } from '../subscriptions/entities/subscription.entity';
import { TicketEntity } from '../tickets/ticket.entity';
import { TypeormJsonLogger } from './typeorm-json.logger';

export const ENTITIES = [
  KafkaSourceEntity,
  EtlConfigEntity,
  EndpointEntity,
  SubscriptionEntity,
  DeadLetterEntity,
  InstanceEntity,
  TicketEntity,
  AuditEntryEntity,
];

/** The one TypeORM options source: the app module and the migration CLI both build from it. */
export function typeormOptions(db: DatabaseSettings): DataSourceOptions {
  return {
    type: 'mysql',
    url: db.url,
    entities: ENTITIES,
    // Works from src/ under ts-jest and from dist/src once compiled.
    migrations: [join(__dirname, '..', '..', 'migrations', '*.{js,ts}')].filter(Boolean),
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    logging: ['error', 'warn'],
    logger: new TypeormJsonLogger(),
    timezone: 'Z',
    charset: 'utf8mb4',
    supportBigNumbers: true,
    bigNumberStrings: true,
    poolSize: db.poolSize,
    extra: { connectionLimit: db.poolSize, enableKeepAlive: true },
  };
}
