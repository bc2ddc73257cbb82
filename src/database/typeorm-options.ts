import { join } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import type { DatabaseSettings } from '../config/app.config';
import { TypeormJsonLogger } from './typeorm-json.logger';

/** The entity classes a DataSource maps (TypeORM's `entities` option). */
export type EntityList = NonNullable<DataSourceOptions['entities']>;

/**
 * The one TypeORM options source: the app module, the CLIs and the tests build from it.
 * `entities` comes from the caller (APP_ENTITIES in src/app-entities.ts): the features own their
 * entities and sit above the database layer, which therefore names none of them.
 */
export function typeormOptions(db: DatabaseSettings, entities: EntityList): DataSourceOptions {
  return {
    type: 'mysql',
    url: db.url,
    entities,
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
