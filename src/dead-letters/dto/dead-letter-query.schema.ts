import { z } from 'zod';
import { limitParam } from '../../common/validation/limit-param';

export const DEAD_LETTER_STATES = ['pending', 'redelivered', 'discarded'] as const;

const positiveInt = z
  .string()
  .regex(/^\d{1,15}$/, 'must be a positive integer')
  .transform(Number)
  .pipe(z.number().int().min(1, 'must be a positive integer'));

export const deadLetterQuerySchema = z.strictObject({
  subscriptionId: positiveInt.optional(),
  topic: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be a topic name')
    .optional(),
  state: z.enum(DEAD_LETTER_STATES, { error: `must be one of ${DEAD_LETTER_STATES.join(', ')}` }).optional(),
  beforeId: positiveInt.optional(),
  limit: limitParam(50),
});

export type DeadLetterQueryInput = z.output<typeof deadLetterQuerySchema>;
