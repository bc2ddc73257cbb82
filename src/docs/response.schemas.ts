import { z } from 'zod';
import { DomainErrorCode } from '../common/errors/domain-error-code.enum';
import { ERROR_STATUS } from '../common/errors/domain-exception.filter';
import { DEAD_LETTER_STATES } from '../dead-letters/dto/dead-letter-query.schema';
import { DeadLetterReason } from '../model/dead-letter-reason.enum';

/**
 * The bodies the API answers, as zod schemas for the OpenAPI document (openapi.document.ts
 * turns them into JSON Schema). They describe what the controllers return (the response DTOs
 * and the services' result types); response.schemas.spec.ts parses the DTOs' output with them,
 * and the admin API integration spec validates real answers against the document.
 *
 * Objects are closed here, so a field added to an answer must be added here too (the spec
 * fails otherwise); the document opens them (API.md: fields may be added, and a generated client
 * must accept them). Values read from JSON columns that rows written with SQL may
 * fill with anything are `unknown`; scalar columns keep their types.
 */

const isoTime = z.iso.datetime().describe('ISO 8601, UTC');
const count = z.number().int().min(0);
const id = z.number().int().min(1);

/** The config sections of a subscription as stored, secrets masked (see SubscriptionInput for what they mean). */
const kafkaSection = z.strictObject({
  brokers: z.string(),
  topic: z.string(),
  groupId: z.string().nullable(),
  startFrom: z.string(),
  groupProtocol: z.string(),
  security: z.unknown(),
  properties: z.unknown(),
});

const endpointSection = z.strictObject({
  url: z.string().describe('user info and query values masked'),
  method: z.string(),
  headers: z.unknown().describe('name → value; values of secret headers masked'),
  timeoutMs: z.number(),
  successStatus: z.unknown(),
  errcodePath: z.string().nullable(),
  errcodeOk: z.unknown(),
  itemResultsPath: z.string().nullable(),
  rateGroup: z.string().nullable(),
  recordHeaders: z.unknown(),
});

const deliverySection = z.strictObject({
  maxRetries: z.number(),
  backoffMs: z.number(),
  maxBackoffMs: z.number(),
  ratePerSec: z.number(),
  ordering: z.string(),
  maxInFlight: z.number(),
  batchSize: z.number(),
  batchWaitMs: z.number(),
  maxBatchBytes: z.number(),
  circuitBreaker: z.unknown().optional(),
  adaptiveConcurrency: z.boolean(),
  keyParking: z.boolean(),
});

const subscriptionFull = z.strictObject({
  view: z.literal('full'),
  id,
  name: z.string(),
  owner: z.string().nullable().describe("the requester team it belongs to; null: the operators'"),
  kafka: kafkaSection,
  etl: z.strictObject({ filter: z.unknown(), fields: z.unknown() }).nullable(),
  endpoint: endpointSection,
  delivery: deliverySection,
  hosts: z.unknown(),
  replicas: z.number().int().nullable(),
  status: z.string(),
  version: z.number().int().describe('goes up with every change; the ETag, for If-Match'),
  alerts: z.unknown(),
  configErrors: z.array(z.string()).nullable().describe('why the stored config cannot run; null when it can'),
  createdAt: isoTime,
  updatedAt: isoTime,
});

const subscriptionSummary = z.strictObject({
  view: z.literal('summary'),
  id,
  name: z.string(),
  owner: z.string().nullable(),
  kafka: z.strictObject({ topic: z.string() }),
  status: z.string(),
  version: z.number().int(),
  createdAt: isoTime,
  updatedAt: isoTime,
});

/** SubscriptionResponseDto: the full config, or for a requester reading another team's a summary. */
export const subscriptionResponseSchema = z.discriminatedUnion('view', [subscriptionFull, subscriptionSummary]);

const counters = z.strictObject({
  consumed: count,
  delivered: count,
  filtered: count,
  retried: count,
  deadLettered: count,
  commits: count,
  commitFailures: count,
  skipped: count,
  offsetsWentBack: count,
});

/** DeliveryHealth: an endpoint as one instance sees it. */
const deliveryHealth = z.strictObject({
  circuit: z.strictObject({
    state: z.enum(['closed', 'open', 'half_open']),
    enabled: z.boolean(),
    openedAt: isoTime.nullable(),
    openForMs: z.number(),
    opens: count,
    probes: count,
    nextProbeAt: isoTime.nullable(),
    holdUntil: isoTime.nullable(),
    openMs: z.number(),
    lastOpenForMs: z.number(),
  }),
  inFlightLimit: z.number().int(),
  maxInFlight: z.number().int(),
  adaptive: z.boolean(),
});

const groupMember = z.strictObject({ clientId: z.string(), clientHost: z.string() });

/**
 * ConsumerSnapshot: one consumer as an instance reports it. Other instances' come from their
 * heartbeats, which another version may have written: open to fields this one does not know.
 */
const consumerSnapshot = z.looseObject({
  subscriptionId: id,
  state: z.enum(['starting', 'running', 'stopping', 'stopped', 'failed']),
  partitions: z.array(z.number().int()),
  endpoint: deliveryHealth.optional(),
  foreignMembers: z.array(groupMember).optional(),
  lag: count.optional(),
});

/** SubscriptionStatus (subscription-status.service.ts). */
export const subscriptionStatusSchema = z.strictObject({
  id,
  status: z.string(),
  instances: z.array(
    z.looseObject({
      instanceId: z.string(),
      state: z.string(),
      partitions: z.array(z.number().int()),
      endpoint: deliveryHealth.optional(),
      foreignMembers: z.array(groupMember).optional(),
    }),
  ),
  placement: z.strictObject({
    mode: z.enum(['pinned', 'rendezvous', 'waiting', 'stopped']),
    instances: z.array(z.string()),
    replicas: z.number().int().nullable(),
    reason: z.string(),
  }),
  partitions: z.array(
    z.strictObject({ partition: z.number().int(), committedOffset: z.number().int().nullable(), highWatermark: z.number().int(), lag: z.number().int() }),
  ),
  counters,
  kafkaError: z.string().optional().describe('why partitions could not be read'),
  configErrors: z.array(z.string()).optional(),
  generatedAt: isoTime,
  ageMs: z.number().min(0),
});

const perSecond = z.number().min(0).nullable();

/** SubscriptionMetricsSeries (metrics-history.service.ts; the maths in metric-series.ts). */
export const subscriptionMetricsSchema = z.strictObject({
  subscriptionId: id,
  window: z.string().describe('the window asked for, e.g. "1h"'),
  from: isoTime.describe('start of the first step'),
  to: isoTime.describe('end of the last step: the newest sample counted'),
  samplingIntervalMs: z.number().int().min(1).describe('METRICS_SAMPLE_INTERVAL_MS'),
  stepMs: z.number().int().min(1).describe('between points: a whole number of sampling intervals, at most 720 points'),
  points: z.array(
    z.strictObject({
      time: isoTime.describe('start of the step'),
      seconds: z.number().min(0).describe('length of the step (the last may be shorter)'),
      deliveredPerSecond: perSecond.describe('records the endpoint accepted per second, summed over instances; null: no instance sampled it then'),
      consumedPerSecond: perSecond,
      filteredPerSecond: perSecond,
      errorsPerSecond: perSecond.describe('retries plus dead letters per second'),
      errorRate: z
        .number()
        .min(0)
        .max(1)
        .nullable()
        .describe('(retried + deadLettered) / (delivered + retried + deadLettered) in the step; null when none happened'),
      attempts: z.number().min(0).nullable().describe('delivery attempts that ended in the step'),
      p50Ms: z
        .number()
        .min(0)
        .nullable()
        .describe("median attempt duration, ms, by Prometheus' histogram_quantile over the step's bucket increases; null without attempts"),
      p99Ms: z.number().min(0).nullable().describe('99th percentile attempt duration, ms, likewise'),
      lag: count.nullable().describe("records behind, summed over the instances' latest samples in the step"),
    }),
  ),
});

/** OffsetResetResult (offset-reset.service.ts). */
export const offsetResetResultSchema = z.strictObject({
  partitions: z.array(z.strictObject({ partition: z.number().int(), offset: z.number().int() })),
  warning: z.string().optional().describe('the offsets were committed, but what came after did not work'),
});

export const configRefreshSchema = z.strictObject({ instanceId: z.string(), consumers: z.array(consumerSnapshot) });

/** InstanceView (instances.service.ts). */
export const instanceSchema = z.strictObject({
  instanceId: z.string(),
  host: z.string(),
  version: z.string(),
  startedAt: isoTime,
  lastSeenAt: isoTime,
  live: z.boolean(),
  state: z.enum(['live', 'stopped', 'dead']),
  self: z.boolean(),
  running: z.array(consumerSnapshot),
  counters: z.record(z.string(), z.record(z.string(), z.number())).describe('by subscription id; counter name → count'),
});

const bytesByField = z.record(z.string(), count);

/** DeadLetterResponseDto. */
export const deadLetterSchema = z.strictObject({
  id,
  subscriptionId: id,
  topic: z.string(),
  partition: z.number().int(),
  offset: z.number().int(),
  key: z.string().nullable(),
  keyEncoding: z.enum(['utf8', 'base64']),
  value: z.string().nullable(),
  valueEncoding: z.enum(['utf8', 'base64']),
  headers: z.unknown(),
  transformedBody: z.string().nullable(),
  reason: z.string(),
  attempts: count,
  lastStatus: z.number().int().nullable(),
  lastError: z.string().nullable(),
  responseExcerpt: z.string().nullable(),
  truncatedFields: bytesByField.describe('fields stored shortened or left out, with their original sizes in bytes'),
  keyBytes: count.nullable(),
  valueBytes: count.nullable(),
  excerptedFields: bytesByField.describe('fields this answer shows only in part, with their stored sizes in bytes'),
  excerpted: z.boolean(),
  recordKept: z.boolean(),
  state: z.enum(DEAD_LETTER_STATES),
  firstAttemptAt: isoTime.nullable(),
  lastAttemptAt: isoTime.nullable(),
  createdAt: isoTime,
  updatedAt: isoTime,
});

/** RedeliveryJobResponseDto; counts are records. */
export const redeliveryJobSchema = z.strictObject({
  id: z.uuid(),
  subscriptionId: id.nullable(),
  action: z.enum(['redeliver', 'discard']),
  selection: z.record(z.string(), z.unknown()).nullable(),
  instanceId: z.string(),
  state: z.enum(['queued', 'running', 'done', 'cancelled', 'failed']),
  limit: count,
  total: count,
  done: count,
  succeeded: count,
  failed: count,
  discarded: count,
  skipped: count,
  more: z.boolean(),
  cancelRequested: z.boolean(),
  error: z.string().nullable(),
  createdAt: isoTime,
  startedAt: isoTime.nullable(),
  finishedAt: isoTime.nullable(),
});

/** The synchronous bulk re-delivery's answer (dead-letters.controller.ts). */
export const redeliveryResultSchema = z.strictObject({
  redelivered: count,
  failed: count,
  discarded: count,
  jobId: z.uuid(),
  state: z.enum(['done', 'cancelled']),
  more: z.boolean(),
});

export const discardResultSchema = z.strictObject({ discarded: count });

/** TicketResponseDto. */
export const ticketSchema = z.strictObject({
  id,
  state: z.enum(['pending', 'approved', 'rejected']),
  requester: z.string(),
  team: z.string().nullable(),
  reason: z.string(),
  name: z.string(),
  subscription: z.record(z.string(), z.unknown()).describe('the requested subscription, secrets masked'),
  subscriptionId: id.nullable(),
  decidedBy: z.string().nullable(),
  decidedAt: isoTime.nullable(),
  rejectionReason: z.string().nullable(),
  review: z.array(z.strictObject({ field: z.string(), concern: z.string() })).nullable(),
  effective: z.record(z.string(), z.unknown()).nullable(),
  createdAt: isoTime,
  updatedAt: isoTime,
});

/** AuditEntryResponseDto. */
export const auditEntrySchema = z.strictObject({
  id,
  at: isoTime,
  actor: z.string().nullable(),
  role: z.string(),
  remote: z.string(),
  instanceId: z.string(),
  action: z.string(),
  resourceType: z.string(),
  resourceId: z.string().nullable(),
  before: z.unknown(),
  after: z.unknown(),
});

export const subscriptionDeletedSchema = z.strictObject({ id, deleted: z.literal(true) });

export const healthLiveSchema = z.strictObject({ status: z.literal('ok') });

export const healthReadySchema = z.strictObject({
  status: z.enum(['ok', 'unavailable']),
  checks: z.strictObject({ database: z.enum(['up', 'down']), supervisor: z.enum(['started', 'starting']) }),
});

const headerPairs = z
  .array(z.tuple([z.string(), z.string()]))
  .describe('the request headers as sent, in order, as [name, value] pairs (lower-case names); values of secret endpoint headers masked "****"');
const reason = z.enum(DeadLetterReason).describe('the dead-letter reason');

const previewedRecord = z.strictObject({
  partition: z.number().int(),
  offset: z.number().int(),
  timestamp: z.number().nullable().describe('the record timestamp, ms since the epoch'),
  keyBytes: z.number().int().nullable(),
  valueBytes: z.number().int().nullable().describe('null: no value (a tombstone)'),
  kept: z.boolean().describe('true when it would be sent; false when the filter drops it or it would be dead-lettered'),
  outcome: z.enum(['deliver', 'filtered', 'dead_letter']),
  reason: reason.nullable(),
  problem: z.string().nullable().describe('why it would be dead-lettered'),
  body: z.string().nullable().describe("the request body exactly as sent (batchSize 1), or this record's element of the batch array"),
  headers: headerPairs.nullable().describe('batchSize 1: the request headers; null when batching (see batches) or not kept'),
});

/** POST /api/preview and /api/subscriptions/{id}/preview (EtlPreviewService). */
export const previewSchema = z.strictObject({
  source: z.enum(['records', 'topic']),
  topic: z.string().describe('the topic the headers name ("<topic>" when the subscription given has no kafka section)'),
  endpoint: z.strictObject({ method: z.string(), url: z.string().describe('user info and query values masked') }),
  batchSize: z.number().int(),
  records: z.array(previewedRecord),
  batches: z
    .array(
      z.strictObject({ records: z.array(z.strictObject({ partition: z.number().int(), offset: z.number().int() })), body: z.string(), headers: headerPairs }),
    )
    .describe('batchSize > 1: the array requests the kept records make, grouped as records that arrive together are'),
  read: z
    .strictObject({
      partitions: z.array(z.strictObject({ partition: z.number().int(), low: z.number().int(), high: z.number().int(), from: z.number().int() })),
      complete: z.boolean().describe('false when the 10 s or 8 MiB bound stopped the read early'),
    })
    .nullable()
    .describe('source topic: the watermarks seen and the first offset read per partition'),
});

/** POST /api/subscriptions/{id}/test-delivery (TestDeliveryService). */
export const testDeliveryResultSchema = z.strictObject({
  sent: z.boolean(),
  outcome: z.enum(['success', 'retry', 'dead_letter', 'filtered']).describe('what kproxy would conclude from this attempt'),
  reason: reason.nullable(),
  problem: z.string().nullable(),
  status: z.number().int().nullable().describe('null: no answer (connection error, timeout) or not sent'),
  errcode: z.string().nullable().describe('the errcode at endpoint.errcodePath, as JSON text'),
  latencyMs: z.number().nullable(),
  responseExcerpt: z.string().nullable(),
  request: z
    .strictObject({ method: z.string(), url: z.string(), body: z.string(), headers: headerPairs })
    .nullable()
    .describe('what was sent (idempotency-key kproxy-test-<uuid>, x-kproxy-test-delivery: 1)'),
});

/** Codes by status, for the description of `code`: "400: VALIDATION_FAILED, …; 401: …". */
function codesByStatus(): string {
  const byStatus = new Map<number, string[]>();
  for (const code of Object.values(DomainErrorCode)) byStatus.set(ERROR_STATUS[code], [...(byStatus.get(ERROR_STATUS[code]) ?? []), code]);
  return [...byStatus]
    .sort(([a], [b]) => a - b)
    .map(([status, codes]) => `${status}: ${codes.join(', ')}`)
    .join('; ');
}

/** Every error body (DomainExceptionFilter's ErrorBody). */
export const errorSchema = z.strictObject({
  statusCode: z.number().int().describe('the HTTP status'),
  error: z.string().describe('its reason phrase'),
  message: z.union([z.string(), z.array(z.string())]).describe('for people: a sentence, or one line per problem (every invalid field named)'),
  code: z
    .enum(DomainErrorCode)
    .describe(
      `what happened, stable for programs to act on (README.md, "Error codes"); codes are only added, so treat an unknown one by its status. By status: ${codesByStatus()}`,
    ),
  fields: z
    .array(
      z.strictObject({ path: z.string().describe('dotted path in the body ("endpoint.url", "etl.filter.0.op"), or the parameter name'), message: z.string() }),
    )
    .optional()
    .describe('the input fields the error is about, when it is about fields'),
});

/** Every answer schema by its name in the document's components. */
export const RESPONSES = {
  Subscription: subscriptionResponseSchema,
  SubscriptionDeleted: subscriptionDeletedSchema,
  SubscriptionStatus: subscriptionStatusSchema,
  SubscriptionMetrics: subscriptionMetricsSchema,
  OffsetResetResult: offsetResetResultSchema,
  ConfigRefresh: configRefreshSchema,
  DeadLetter: deadLetterSchema,
  RedeliveryJob: redeliveryJobSchema,
  RedeliveryResult: redeliveryResultSchema,
  DiscardResult: discardResultSchema,
  Ticket: ticketSchema,
  Instance: instanceSchema,
  AuditEntry: auditEntrySchema,
  Preview: previewSchema,
  TestDeliveryResult: testDeliveryResultSchema,
  HealthLive: healthLiveSchema,
  HealthReady: healthReadySchema,
  Error: errorSchema,
  OpenApiDocument: z.record(z.string(), z.unknown()).describe('this document'),
} as const;

export type ResponseName = keyof typeof RESPONSES;
