import { settingNumber } from '../../../common/validation/setting-number';
import { z } from 'zod';

export const RESET_TARGETS = ['earliest', 'latest', 'timestamp', 'offsets'] as const;

export const offsetResetSchema = z
  .strictObject({
    to: z.enum(RESET_TARGETS, { error: `must be one of ${RESET_TARGETS.join(', ')}` }),
    timestamp: settingNumber(z.number({ error: 'must be a number of milliseconds since the epoch' }).int('must be a whole number').min(0)).optional(),
    offsets: z
      .array(
        z.strictObject({
          partition: settingNumber(z.number({ error: 'must be a partition number' }).int('must be a whole number').min(0, 'must be 0 or more')),
          offset: settingNumber(z.number({ error: 'must be an offset' }).int('must be a whole number').min(0, 'must be 0 or more')),
        }),
        { error: 'must be an array of {partition, offset}' },
      )
      .min(1, 'must name at least one partition')
      .optional(),
    restart: z.boolean({ error: 'must be true or false' }).default(false),
  })
  .superRefine((body, ctx) => {
    if (body.to === 'timestamp' && body.timestamp === undefined) {
      ctx.addIssue({ code: 'custom', path: ['timestamp'], message: 'is required when "to" is "timestamp"' });
    }
    if (body.to === 'offsets' && body.offsets === undefined) {
      ctx.addIssue({ code: 'custom', path: ['offsets'], message: 'is required when "to" is "offsets"' });
    }
    if (body.offsets) {
      const seen = new Set<number>();
      for (const [i, o] of body.offsets.entries()) {
        if (seen.has(o.partition)) ctx.addIssue({ code: 'custom', path: ['offsets', i, 'partition'], message: `partition ${o.partition} is listed twice` });
        seen.add(o.partition);
      }
    }
  });

export type OffsetResetRequest = z.output<typeof offsetResetSchema>;
