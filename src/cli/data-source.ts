import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app.config';
import { APP_ENTITIES } from '../app-entities';
import { typeormOptions } from '../database/typeorm-options';

/** For the TypeORM CLI (migration:generate, migration:show). */
export default new DataSource(typeormOptions(AppConfig.databaseFromProcessEnv(), APP_ENTITIES));
