import { Global, Module } from '@nestjs/common';
import { AuditController } from './audit.controller';
import { AuditLog } from './audit-log.service';
import { AuditRepository } from './audit.repository';

/** Global: every module that changes state records it here. */
@Global()
@Module({
  controllers: [AuditController],
  providers: [AuditRepository, AuditLog],
  exports: [AuditLog],
})
export class AuditModule {}
