import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { ApiTokenGuard } from './auth/api-token.guard';
import { DomainExceptionFilter } from './errors/domain-exception.filter';
import { ClientAddress } from './http/client-address';
import { CrossOriginWriteCheck } from './http/cross-origin-write-check';
import { OpenAdminHostCheck } from './http/open-admin-host-check';
import { JsonLogger } from './logging/json.logger';

@Global()
@Module({})
export class CommonModule {
  static forRoot(logger: JsonLogger): DynamicModule {
    return {
      module: CommonModule,
      providers: [
        { provide: JsonLogger, useValue: logger },
        ClientAddress,
        CrossOriginWriteCheck,
        OpenAdminHostCheck,
        { provide: APP_GUARD, useClass: ApiTokenGuard },
        { provide: APP_FILTER, useClass: DomainExceptionFilter },
      ],
      exports: [JsonLogger, ClientAddress, CrossOriginWriteCheck, OpenAdminHostCheck],
    };
  }
}
