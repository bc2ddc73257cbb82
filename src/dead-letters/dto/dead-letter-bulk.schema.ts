import { settingNumber } from '../../common/validation/setting-number';
import { z } from 'zod';

export const deadLetterBulkSchema = z.strictObject({
  subscriptionId: settingNumber(z.number({ error: 'must be a subscription id' }).int('must be a whole number').min(1, 'must be a positive id')),
});

export type DeadLetterBulkRequest = z.output<typeof deadLetterBulkSchema>;
