import 'reflect-metadata';
import { sizeThreadPool } from './config/thread-pool';
sizeThreadPool();
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { InstanceHeartbeat } from './cluster/instance-heartbeat.service';
import { MetricsSampler } from './cluster/metrics-history/metrics-sampler.service';
import { CrossOriginWriteCheck } from './common/http/cross-origin-write-check';
import { OpenAdminHostCheck } from './common/http/open-admin-host-check';
import { SecurityHeaders } from './common/http/security-headers';
import { JsonLogger } from './common/logging/json.logger';
import { ConsoleAssets } from './console/console-assets';
import { DOCS_STYLE } from './docs/docs.controller';
import { AppConfig } from './config/app.config';
import { InvalidConfigError } from './config/invalid-config.error';
import { jsonBody } from './common/validation/json-body';
import { ConsumerSupervisor } from './runtime/supervisor/consumer-supervisor.service';

async function bootstrap(): Promise<void> {
  const config = AppConfig.fromProcessEnv();
  const logger = new JsonLogger(config.logLevel);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, logger), {
    logger,
    bodyParser: false,
  });
  // Headers first, so every answer carries them, errors included; then cross-origin writes are
  // refused before their bodies are read.
  app.use(...SecurityHeaders.middleware({ scripts: app.get(ConsoleAssets).inlineScripts, styles: [DOCS_STYLE] }));
  app.use(app.get(CrossOriginWriteCheck).middleware());
  app.use(app.get(OpenAdminHostCheck).middleware());
  app.use(...jsonBody('1mb'));
  app.enableShutdownHooks();
  // A safety net: if some part hangs on shutdown, the process still ends.
  const hardStopMs = config.shutdownDrainTimeoutMs + 30_000;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      setTimeout(() => {
        logger.error('shutdown did not finish in time; exiting', { afterMs: hardStopMs });
        process.exit(1);
      }, hardStopMs).unref();
    });
  }
  await app.listen(config.port, config.host);
  // Workers start only once the app is ready to answer health checks and admin calls. The first
  // heartbeat goes before the first placement: instances restarting together then see each other
  // live and split the subscriptions, instead of each seeing only itself and running all of them.
  await app.get(InstanceHeartbeat).start();
  await app.get(ConsumerSupervisor).start();
  app.get(MetricsSampler).start();
  logger.info('kproxy ready', { port: config.port, host: config.host, instanceId: config.instanceId, adminAuth: config.adminToken ? 'on' : 'off' });
  if (!config.adminToken) {
    logger.warn('the admin API is open: no ADMIN_TOKEN is set, so anyone who can reach this address can change every subscription', {
      host: config.host,
      allowOpenAdmin: config.allowOpenAdmin,
    });
  }
}

bootstrap().catch((err: unknown) => {
  const message = err instanceof InvalidConfigError ? err.message : `kproxy failed to start: ${(err as Error)?.stack ?? String(err)}`;
  process.stderr.write(message + '\n');
  process.exit(1);
});
