import { Injectable } from '@nestjs/common';
import { sqlErrorSummary } from '../database/sql-failure';
import { JsonLogger } from '../common/logging/json.logger';
import type { RequestActor } from '../common/request-context/request-actor';
import { AppConfig } from '../config/app.config';
import type { AuditChange } from './audit-change';
import { AuditRepository } from './audit.repository';
import { AuditEntryResponseDto } from './dto/audit-entry-response.dto';
import type { AuditQueryInput } from './dto/audit-query.schema';

/**
 * Records who changed what through the admin API. Written after the change committed: a failed
 * audit write is logged loudly but does not undo a change the caller has already been told about.
 */
@Injectable()
export class AuditLog {
  constructor(
    private readonly repository: AuditRepository,
    private readonly config: AppConfig,
    private readonly logger: JsonLogger,
  ) {}

  async record(change: AuditChange, actor: RequestActor): Promise<void> {
    try {
      await this.repository.insert({
        actor: actor.name,
        role: actor.role,
        remote: actor.remote.slice(0, 64),
        instanceId: this.config.instanceId,
        action: change.action,
        resourceType: change.resourceType,
        resourceId: change.resourceId === null ? null : String(change.resourceId),
        before: toJson(change.before),
        after: toJson(change.after),
      });
    } catch (err) {
      this.logger.error('audit entry could not be written; the change itself stands', {
        action: change.action,
        resourceType: change.resourceType,
        resourceId: change.resourceId,
        // The entry's JSON may hold config values: log only what the server said, values stripped.
        ...sqlErrorSummary(err),
      });
    }
  }

  async list(query: AuditQueryInput): Promise<AuditEntryResponseDto[]> {
    return (await this.repository.find(query)).map((row) => AuditEntryResponseDto.from(row));
  }
}

/** Answer DTOs are class instances; the JSON column wants their plain data. */
function toJson(value: unknown): unknown {
  return value === undefined || value === null ? null : JSON.parse(JSON.stringify(value));
}
