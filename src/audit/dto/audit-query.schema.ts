import { z } from 'zod';
import { limitParam } from '../../common/validation/limit-param';
import { AUDIT_RESOURCES } from '../audit-change';

export const auditQuerySchema = z.strictObject({
  resourceType: z.enum(AUDIT_RESOURCES, { error: `must be one of ${AUDIT_RESOURCES.join(', ')}` }).optional(),
  resourceId: z
    .string()
    .regex(/^[0-9]{1,20}$/, 'must be a numeric id')
    .optional(),
  beforeId: z
    .string()
    .regex(/^[0-9]{1,20}$/, 'must be a numeric id')
    .optional(),
  limit: limitParam(100),
});

export type AuditQueryInput = z.output<typeof auditQuerySchema>;
