import { z } from 'zod';
import { settingNumber } from '../../common/validation/setting-number';
import { deadLetterBulkSchema } from './dead-letter-bulk.schema';

/**
 * A bulk re-delivery: the subscription, and optionally the most records to send (`limit`,
 * default and maximum DEAD_LETTER_BULK_MAX_RECORDS; the service checks the maximum, which is
 * a setting).
 */
export const deadLetterRedeliverSchema = deadLetterBulkSchema.extend({
  limit: settingNumber(z.number({ error: 'must be a number of records' }).int('must be a whole number').min(1, 'must be at least 1')).optional(),
});

export type DeadLetterRedeliverRequest = z.output<typeof deadLetterRedeliverSchema>;

/** A job id in a path: the UUID the job was given. */
export const redeliveryJobIdSchema = z.uuid({ error: 'must be a job id (a UUID)' });
