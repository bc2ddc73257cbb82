import { z } from 'zod';
import { limitParam } from '../../common/validation/limit-param';
import { settingNumber } from '../../common/validation/setting-number';
import { DeadLetterReason } from '../../model/dead-letter-reason.enum';

export const DEAD_LETTER_STATES = ['pending', 'redelivered', 'discarded'] as const;
export const DEAD_LETTER_REASONS = Object.values(DeadLetterReason) as [DeadLetterReason, ...DeadLetterReason[]];

const positiveInt = z
  .string()
  .regex(/^\d{1,15}$/, 'must be a positive integer')
  .transform(Number)
  .pipe(z.number().int().min(1, 'must be a positive integer'));

const topic = z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be a topic name');
const reason = z.enum(DEAD_LETTER_REASONS, { error: `must be one of ${DEAD_LETTER_REASONS.join(', ')}` });
const state = z.enum(DEAD_LETTER_STATES, { error: `must be one of ${DEAD_LETTER_STATES.join(', ')}` });
/** An instant with its offset (RFC 3339, e.g. 2026-05-01T10:00:00Z), as a Date. */
const instant = z.iso
  .datetime({ offset: true, error: 'must be a time in ISO 8601 with its offset, e.g. 2026-05-01T10:00:00Z' })
  .transform((text) => new Date(text));

/** createdFrom must come before createdTo: an empty range is a mistake worth naming. */
function checkRange(f: { createdFrom?: Date; createdTo?: Date }, ctx: z.RefinementCtx): void {
  if (f.createdFrom && f.createdTo && f.createdFrom >= f.createdTo) {
    ctx.addIssue({ code: 'custom', path: ['createdTo'], message: 'must be after createdFrom' });
  }
}

/**
 * GET /api/dead-letters: subscriptionId, topic, state, reason (DeadLetterReason), createdFrom
 * (inclusive) and createdTo (exclusive) on the time the record became a dead letter, then
 * keyset paging by id, newest first (beforeId, limit).
 */
export const deadLetterQuerySchema = z
  .strictObject({
    subscriptionId: positiveInt.optional(),
    topic: topic.optional(),
    state: state.optional(),
    reason: reason.optional(),
    createdFrom: instant.optional(),
    createdTo: instant.optional(),
    beforeId: positiveInt.optional(),
    limit: limitParam(50),
  })
  .superRefine(checkRange);

export type DeadLetterQueryInput = z.output<typeof deadLetterQuerySchema>;

/**
 * The list's filter as a JSON object (a bulk action's `filter`): the same fields, numbers as
 * numbers. `state`, when given, must be pending: only pending dead letters can be re-delivered or
 * discarded. At least one field: acting on every dead letter there is must be asked for by name
 * (a subscriptionId, a reason, ...), not by an empty object.
 */
export const deadLetterFilterSchema = z
  .strictObject({
    subscriptionId: settingNumber(z.number({ error: 'must be a subscription id' }).int('must be a whole number').min(1, 'must be a positive id')).optional(),
    topic: topic.optional(),
    state: z.literal('pending', { error: 'must be pending: only pending dead letters can be re-delivered or discarded' }).optional(),
    reason: reason.optional(),
    createdFrom: instant.optional(),
    createdTo: instant.optional(),
  })
  .superRefine((f, ctx) => {
    checkRange(f, ctx);
    if (f.subscriptionId === undefined && f.topic === undefined && f.reason === undefined && f.createdFrom === undefined && f.createdTo === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: 'must name at least one of subscriptionId, topic, reason, createdFrom, createdTo (an empty filter would take every pending dead letter)',
      });
    }
  });

export type DeadLetterFilterInput = z.output<typeof deadLetterFilterSchema>;
