import { z } from 'zod';
import { settingNumber } from '../../common/validation/setting-number';
import { deadLetterFilterSchema } from './dead-letter-query.schema';

/** The most ids one bulk action may name; a larger selection is a filter. */
export const MAX_SELECTED_IDS = 1000;

const id = settingNumber(z.number({ error: 'must be a dead letter id' }).int('must be a whole number').min(1, 'must be a positive id'));

/**
 * POST /api/dead-letters/bulk-jobs: `action` (redeliver | discard) on either a selection
 * (`ids`, 1-1000 dead letter ids) or every pending dead letter a `filter` matches (the list's
 * filter, deadLetterFilterSchema), at most `limit` records (default and maximum
 * DEAD_LETTER_BULK_MAX_RECORDS; the service checks the maximum, which is a setting).
 */
export const deadLetterBulkJobSchema = z
  .strictObject({
    action: z.enum(['redeliver', 'discard'], { error: 'must be redeliver or discard' }),
    ids: z
      .array(id)
      .min(1, 'must name at least one dead letter')
      .max(MAX_SELECTED_IDS, `must name at most ${MAX_SELECTED_IDS} dead letters; select more with a filter`)
      .optional(),
    filter: deadLetterFilterSchema.optional(),
    limit: settingNumber(z.number({ error: 'must be a number of records' }).int('must be a whole number').min(1, 'must be at least 1')).optional(),
  })
  .superRefine((body, ctx) => {
    if ((body.ids === undefined) === (body.filter === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['ids'], message: 'send either ids (a selection) or filter (everything it matches), not both and not neither' });
    }
  });

export type DeadLetterBulkJobRequest = z.output<typeof deadLetterBulkJobSchema>;
