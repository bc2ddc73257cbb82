import { z } from 'zod';
import { settingNumber } from '../../common/validation/setting-number';
import { subscriptionSpecSchema } from '../../subscriptions/dto/subscription-spec.schema';

/** The most records one preview shows (pasted, or read from the topic). */
export const MAX_PREVIEW_RECORDS = 100;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const base64 = z.string({ error: 'must be a base64 string' }).max(2_000_000).regex(BASE64, 'must be standard base64 (RFC 4648 §4, with padding)');
const whole = (min: number, max: number) =>
  settingNumber(
    z.number({ error: 'must be a whole number' }).int('must be a whole number').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`),
  );

const recordHeaderSchema = z
  .strictObject({
    name: z.string({ error: 'is required' }).min(1, 'must not be empty').max(256, 'must be at most 256 characters'),
    value: z.string({ error: 'must be a string' }).max(65_536).optional(),
    valueBase64: base64.optional(),
  })
  .refine((h) => (h.value === undefined) !== (h.valueBase64 === undefined), { message: 'give exactly one of value (text) and valueBase64 (bytes)' });

/**
 * One Kafka record as a client pastes it: `value` as text (its UTF-8 bytes, usually JSON text)
 * or `valueBase64` as bytes; neither is a tombstone (no value). `key` likewise. Headers in
 * record order, each value as text or base64. Coordinates default to partition 0, offset 0.
 */
export const sampleRecordSchema = z
  .strictObject({
    value: z.string({ error: 'must be the value as text (JSON text, for example)' }).max(2_000_000).nullish(),
    valueBase64: base64.nullish(),
    key: z.string({ error: 'must be a string' }).max(65_536).nullish(),
    keyBase64: base64.nullish(),
    headers: z.array(recordHeaderSchema, { error: 'must be an array of {name, value} or {name, valueBase64}' }).max(100).default([]),
    partition: whole(0, 1_000_000).default(0),
    offset: whole(0, Number.MAX_SAFE_INTEGER).default(0),
    timestamp: whole(0, Number.MAX_SAFE_INTEGER).nullish(),
  })
  .superRefine((r, ctx) => {
    if (r.value != null && r.valueBase64 != null) ctx.addIssue({ code: 'custom', path: ['valueBase64'], message: 'give value or valueBase64, not both' });
    if (r.key != null && r.keyBase64 != null) ctx.addIssue({ code: 'custom', path: ['keyBase64'], message: 'give key or keyBase64, not both' });
  });

export type SampleRecord = z.output<typeof sampleRecordSchema>;

const records = z
  .array(sampleRecordSchema, { error: 'must be an array of records' })
  .min(1, 'must hold at least one record')
  .max(MAX_PREVIEW_RECORDS, `must hold at most ${MAX_PREVIEW_RECORDS} records`);
const lastRecords = whole(1, MAX_PREVIEW_RECORDS);

const oneSource = (body: { records?: unknown; lastRecords?: unknown }, ctx: z.RefinementCtx) => {
  if ((body.records === undefined) === (body.lastRecords === undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: ['records'],
      message: `give exactly one of records (pasted) and lastRecords (1-${MAX_PREVIEW_RECORDS}, read from the topic)`,
    });
  }
};

/**
 * POST /api/preview: a subscription as for POST /api/subscriptions (name and kafka may be left
 * out; kafka is needed for lastRecords), and the records to preview.
 */
export const previewRequestSchema = z
  .strictObject({
    subscription: subscriptionSpecSchema.partial({ name: true, kafka: true }),
    records: records.optional(),
    lastRecords: lastRecords.optional(),
  })
  .superRefine((body, ctx) => {
    oneSource(body, ctx);
    if (body.lastRecords !== undefined && !body.subscription.kafka) {
      ctx.addIssue({ code: 'custom', path: ['subscription', 'kafka'], message: 'is required to read the last records of the topic' });
    }
  });

export type PreviewRequest = z.output<typeof previewRequestSchema>;

/** POST /api/subscriptions/{id}/preview: the records to preview under the stored config. */
export const subscriptionPreviewSchema = z.strictObject({ records: records.optional(), lastRecords: lastRecords.optional() }).superRefine(oneSource);

export type SubscriptionPreviewRequest = z.output<typeof subscriptionPreviewSchema>;

/** POST /api/subscriptions/{id}/test-delivery: the exact body to send, or a record to shape as the data path would. */
export const testDeliverySchema = z
  .strictObject({
    body: z.string({ error: 'must be the request body as text (JSON text, for example)' }).max(2_000_000).optional(),
    record: sampleRecordSchema.optional(),
  })
  .superRefine((b, ctx) => {
    if ((b.body === undefined) === (b.record === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['body'], message: 'give exactly one of body (sent as is) and record (shaped by the subscription first)' });
    }
  });

export type TestDeliveryRequest = z.output<typeof testDeliverySchema>;
