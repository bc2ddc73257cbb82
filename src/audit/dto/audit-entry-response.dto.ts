import type { AuditEntryEntity } from '../audit-entry.entity';

export class AuditEntryResponseDto {
  id: number;
  at: string;
  actor: string | null;
  role: string;
  remote: string;
  instanceId: string;
  action: string;
  resourceType: string;
  resourceId: string | null;
  before: unknown;
  after: unknown;

  static from(row: AuditEntryEntity): AuditEntryResponseDto {
    return Object.assign(new AuditEntryResponseDto(), {
      id: Number(row.id),
      at: row.at.toISOString(),
      actor: row.actor,
      role: row.role,
      remote: row.remote,
      instanceId: row.instanceId,
      action: row.action,
      resourceType: row.resourceType,
      resourceId: row.resourceId,
      before: row.before ?? null,
      after: row.after ?? null,
    });
  }
}
