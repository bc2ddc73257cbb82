import { DynamicModule, Injectable, Module, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource, TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app.config';
import { typeormOptions, type EntityList } from './typeorm-options';

/** Refuses to run against a schema that is behind the code. */
@Injectable()
export class SchemaCheck implements OnApplicationBootstrap {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async onApplicationBootstrap(): Promise<void> {
    if (await this.dataSource.showMigrations()) {
      throw new Error('the database schema is behind this version: run `npm run migrate` first');
    }
  }
}

/** The TypeORM connection and the schema check; forRoot takes the app's entities (APP_ENTITIES). */
@Module({})
export class DatabaseModule {
  static forRoot(entities: EntityList): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => ({ ...typeormOptions(config.database, entities), retryAttempts: 3, retryDelay: 1000 }),
        }),
      ],
      providers: [SchemaCheck],
    };
  }
}
