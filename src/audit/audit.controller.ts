import { Controller, Get, Query } from '@nestjs/common';
import { ZodValidationPipe } from '../common/validation/zod-validation.pipe';
import { AuditLog } from './audit-log.service';
import { AuditEntryResponseDto } from './dto/audit-entry-response.dto';
import { auditQuerySchema, AuditQueryInput } from './dto/audit-query.schema';

@Controller('api/audit')
export class AuditController {
  constructor(private readonly audit: AuditLog) {}

  @Get()
  list(@Query(new ZodValidationPipe(auditQuerySchema)) query: AuditQueryInput): Promise<AuditEntryResponseDto[]> {
    return this.audit.list(query);
  }
}
