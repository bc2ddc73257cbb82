export const AUDIT_RESOURCES = ['subscription', 'ticket', 'dead_letter'] as const;
export type AuditResource = (typeof AUDIT_RESOURCES)[number];

/** One change as services describe it; before/after are answer shapes, so secrets are already masked. */
export interface AuditChange {
  readonly action: string;
  readonly resourceType: AuditResource;
  readonly resourceId: number | string | null;
  readonly before?: unknown;
  readonly after?: unknown;
}
