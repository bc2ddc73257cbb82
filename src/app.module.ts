import { DynamicModule, Module } from '@nestjs/common';
import { AlertsModule } from './alerts/alerts.module';
import { APP_ENTITIES } from './app-entities';
import { AuditModule } from './audit/audit.module';
import { ClusterModule } from './cluster/cluster.module';
import { CommonModule } from './common/common.module';
import { ControlPlaneModule } from './control-plane/control-plane.module';
import { JsonLogger } from './common/logging/json.logger';
import { AppConfig } from './config/app.config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { DeadLettersModule } from './dead-letters/dead-letters.module';
import { ConsoleModule } from './console/console.module';
import { DocsModule } from './docs/docs.module';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { PreviewModule } from './preview/preview.module';
import { RuntimeModule } from './runtime/runtime.module';
import { SecretsModule } from './secrets/secrets.module';
import { SubscriptionsModule } from './subscriptions/subscriptions.module';
import { TicketsModule } from './tickets/tickets.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, logger: JsonLogger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        CommonModule.forRoot(logger),
        DatabaseModule.forRoot(APP_ENTITIES),
        SecretsModule,
        AuditModule,
        MetricsModule,
        SubscriptionsModule,
        TicketsModule,
        DeadLettersModule,
        RuntimeModule,
        ClusterModule,
        ControlPlaneModule,
        PreviewModule,
        AlertsModule,
        HealthModule,
        DocsModule,
        ConsoleModule,
      ],
    };
  }
}
