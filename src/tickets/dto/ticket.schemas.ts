import { z } from 'zod';
import { limitParam } from '../../common/validation/limit-param';
import { subscriptionSpecSchema } from '../../subscriptions/dto/subscription-spec.schema';

const person = (what: string) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : `must be the ${what}'s name`) })
    .trim()
    .min(1, 'must not be empty')
    .max(100, 'must be at most 100 characters')
    .regex(/^[^\u0000-\u001f\u007f]+$/, 'must not contain control characters');

const text = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
  .trim()
  .min(1, 'must not be empty')
  .max(2000, 'must be at most 2000 characters');

/** A ticket is the subscription body plus who asks and why; the body is validated in full now. */
export const ticketCreateSchema = subscriptionSpecSchema.extend({ requester: person('requester'), reason: text });

export const TICKET_STATES = ['pending', 'approved', 'rejected'] as const;

export const ticketApproveSchema = z.strictObject({ operator: person('operator').optional() });
export type TicketApproveInput = z.output<typeof ticketApproveSchema>;

export const ticketRejectSchema = z.strictObject({ reason: text, operator: person('operator').optional() });
export type TicketRejectInput = z.output<typeof ticketRejectSchema>;

export const ticketQuerySchema = z.strictObject({
  state: z.enum(TICKET_STATES, { error: `must be one of ${TICKET_STATES.join(', ')}` }).optional(),
  limit: limitParam(100),
});
export type TicketQueryInput = z.output<typeof ticketQuerySchema>;
