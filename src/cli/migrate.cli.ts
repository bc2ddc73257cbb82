import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app.config';
import { InvalidConfigError } from '../config/invalid-config.error';
import { APP_ENTITIES } from '../app-entities';
import { typeormOptions } from '../database/typeorm-options';

async function main(): Promise<void> {
  const dataSource = new DataSource(typeormOptions(AppConfig.databaseFromProcessEnv(), APP_ENTITIES));
  await dataSource.initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    const names = applied.map((m) => m.name);
    process.stdout.write(JSON.stringify({ level: 'info', msg: names.length ? 'migrations applied' : 'schema is up to date', applied: names }) + '\n');
  } finally {
    await dataSource.destroy();
  }
}

main().catch((err: unknown) => {
  const message = err instanceof InvalidConfigError ? err.message : `migration failed: ${String((err as Error)?.message ?? err)}`;
  process.stderr.write(message + '\n');
  process.exit(1);
});
