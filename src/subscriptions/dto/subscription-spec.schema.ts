import { TEAM_NAME } from '../../config/app.config';
import { JsonNumber } from '../../common/json/json-number';
import { settingNumber } from '../../common/validation/setting-number';
import { z } from 'zod';
import { requiredFieldError } from '../../common/validation/format-zod-issues';
import { DEFAULT_MAX_BATCH_BYTES, HTTP_METHODS, MAX_BATCH_BYTES, MAX_BATCH_SIZE, MIN_BATCH_BYTES, ORDERING_MODES } from '../../model/delivery-spec';
import { FILTER_OPS } from '../../model/etl-spec';
import { FilterRule } from '../../etl/filter-rule';
import { JsonPath } from '../../model/json-path';
import { kafkaPropertyPairProblems, kafkaPropertyProblem } from '../../model/kafka-properties';
import { kafkaSecuritySchema } from './kafka-security.schema';

export const SUBSCRIPTION_STATUSES = ['running', 'stopped'] as const;
export const START_POSITIONS = ['earliest', 'latest'] as const;
/**
 * Consumer group protocols: `classic` (JoinGroup/SyncGroup, assignment by the members) or
 * `consumer` (KIP-848: the broker assigns and heartbeats carry the changes; Kafka 4.0+).
 */
export const GROUP_PROTOCOLS = ['classic', 'consumer'] as const;
/** Under KIP-848 these live on the broker (group.consumer.*); librdkafka refuses them. */
const BROKER_OWNED_UNDER_KIP848 = ['session.timeout.ms', 'heartbeat.interval.ms', 'partition.assignment.strategy'];

/**
 * The least positive delivery rate (records/s). Anything slower is a stalled subscription, not
 * a limit; it also keeps one member of a rate group from throttling the others to nothing.
 */
export const MIN_RATE_PER_SEC = 0.1;

const HOST_PORT = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$/;
const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const RESERVED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'idempotency-key']);
/**
 * Headers gateways and frameworks read to reroute a request or change its method: with their
 * values hidden (every header is secret), an approver could not see where a request really goes.
 */
const ROUTING_HEADERS = new Set([
  'forwarded',
  'x-original-url',
  'x-rewrite-url',
  'x-http-method-override',
  'x-http-method',
  'x-method-override',
  'x-original-host',
]);
const isRoutingHeader = (lower: string): boolean => ROUTING_HEADERS.has(lower) || lower.startsWith('x-forwarded-');

/** A whole-number setting; the default sits inside settingNumber so the OpenAPI document shows it. */
const int = (min: number, max: number, fallback?: number) => {
  const n = z.number({ error: 'must be a number' }).int('must be a whole number').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);
  return settingNumber(fallback === undefined ? n : n.default(fallback));
};

const jsonPath = z.string({ error: 'must be a JSONPath string such as $.user.name' }).superRefine((path, ctx) => {
  const problem = JsonPath.problem(path);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const brokers = z
  .string({ error: 'is required: a comma-separated list of host:port' })
  .trim()
  .min(1, 'is required: a comma-separated list of host:port')
  .max(1024)
  .superRefine((list, ctx) => {
    for (const entry of list.split(',').map((s) => s.trim())) {
      const m = HOST_PORT.exec(entry);
      if (!m || Number(m[1]) < 1 || Number(m[1]) > 65535) {
        ctx.addIssue({ code: 'custom', message: `"${entry}" is not a host:port pair` });
      }
    }
  });

const kafkaSchema = z
  .strictObject({
    brokers,
    topic: z.string({ error: 'is required' }).regex(TOPIC, 'must be 1-249 characters of letters, digits, ".", "_" or "-"'),
    groupId: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,255}$/, 'must be 1-255 characters of letters, digits, ".", "_", ":" or "-"')
      .nullish()
      .transform((v) => v ?? null),
    startFrom: z.enum(START_POSITIONS, { error: `must be one of ${START_POSITIONS.join(', ')}` }).default('earliest'),
    security: kafkaSecuritySchema.nullish().transform((v) => v ?? null),
    properties: z
      .record(z.string(), settingNumber(z.union([z.string(), z.number(), z.boolean()], { error: 'values must be strings, numbers or booleans' })), {
        error: 'must be an object of librdkafka property names to values',
      })
      .superRefine((props, ctx) => {
        let valid = true;
        for (const [name, value] of Object.entries(props)) {
          const problem = kafkaPropertyProblem(name, value);
          if (problem) ctx.addIssue({ code: 'custom', path: [name], message: problem });
          valid &&= !problem;
        }
        if (valid) for (const [name, message] of kafkaPropertyPairProblems(props)) ctx.addIssue({ code: 'custom', path: [name], message });
      })
      .default({}),
    groupProtocol: z.enum(GROUP_PROTOCOLS, { error: `must be one of ${GROUP_PROTOCOLS.join(', ')}` }).default('classic'),
  })
  .superRefine((kafka, ctx) => {
    if (kafka.groupProtocol !== 'consumer') return;
    for (const name of BROKER_OWNED_UNDER_KIP848) {
      if (Object.hasOwn(kafka.properties, name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['properties', name],
          message: 'cannot be set with groupProtocol "consumer": under KIP-848 the broker decides it (group.consumer.* broker settings)',
        });
      }
    }
  });

const filterRuleSchema = z
  .strictObject({
    path: jsonPath,
    op: z.enum(FILTER_OPS, { error: `must be one of ${FILTER_OPS.join(', ')}` }),
    value: z.unknown().optional(),
  })
  .superRefine((rule, ctx) => {
    if (JsonPath.problem(rule.path)) return;
    const problem = FilterRule.problem(rule);
    if (problem) ctx.addIssue({ code: 'custom', path: ['value'], message: problem });
  });

/** Characters of the JSONPaths in an etl object as sent (fields' values, filter rules' paths). */
function etlPathCharacters(etl: unknown): number {
  if (etl === null || typeof etl !== 'object') return 0;
  const { fields, filter } = etl as { fields?: unknown; filter?: unknown };
  let total = 0;
  if (fields !== null && typeof fields === 'object') {
    for (const path of Object.values(fields)) if (typeof path === 'string') total += path.length;
  }
  if (Array.isArray(filter)) {
    for (const rule of filter) {
      const path = rule !== null && typeof rule === 'object' ? (rule as { path?: unknown }).path : undefined;
      if (typeof path === 'string') total += path.length;
    }
  }
  return total;
}

const etlObjectSchema = z.strictObject({
  filter: z.array(filterRuleSchema, { error: 'must be an array of rules' }).max(100).default([]),
  fields: z
    .preprocess(
      (fields, ctx) => {
        // A plain object takes "__proto__" as its prototype: the field would silently vanish.
        if (fields !== null && typeof fields === 'object' && Object.prototype.hasOwnProperty.call(fields, '__proto__')) {
          ctx.issues.push({ code: 'custom', path: ['__proto__'], message: 'output name "__proto__" cannot be used; choose another name', input: fields });
        }
        return fields;
      },
      z.record(z.string().regex(/^[^\s]{1,128}$/, 'output names must be 1-128 characters without spaces'), jsonPath, {
        error: 'must be an object mapping output names to JSONPath expressions',
      }),
    )
    .refine((f) => Object.keys(f).length > 0 && Object.keys(f).length <= 500, 'must name between 1 and 500 fields')
    .nullish()
    .transform((v) => v ?? null),
});

// The total is checked before any path is validated, so its cost is bounded too.
const etlSchema = z.preprocess((etl, ctx) => {
  const total = etlPathCharacters(etl);
  if (total <= JsonPath.MAX_TOTAL_LENGTH) return etl;
  ctx.issues.push({
    code: 'custom',
    message: `the JSONPaths of fields and filter add up to ${total} characters; at most ${JsonPath.MAX_TOTAL_LENGTH} are allowed per subscription`,
    input: etl,
  });
  return { filter: [], fields: null };
}, etlObjectSchema);

/** Bounds on configured endpoint headers: count, one name, one value, and all of them together (bytes). */
export const HEADER_LIMITS = { count: 50, nameBytes: 256, valueBytes: 8192, totalBytes: 32_768 } as const;

const headersSchema = z
  .record(z.string(), z.string({ error: 'header values must be strings' }), { error: 'must be an object of header names to values' })
  .superRefine((headers, ctx) => {
    const entries = Object.entries(headers);
    if (entries.length > HEADER_LIMITS.count)
      ctx.addIssue({ code: 'custom', message: `may set at most ${HEADER_LIMITS.count} headers; ${entries.length} given` });
    let total = 0;
    for (const [name, value] of entries) total += Buffer.byteLength(name) + Buffer.byteLength(value);
    if (total > HEADER_LIMITS.totalBytes)
      ctx.addIssue({ code: 'custom', message: `names and values add up to ${total} bytes; at most ${HEADER_LIMITS.totalBytes} are allowed` });
    for (const [name, value] of entries) {
      const lower = name.toLowerCase();
      if (Buffer.byteLength(name) > HEADER_LIMITS.nameBytes)
        ctx.addIssue({ code: 'custom', path: [name.slice(0, 64)], message: `the name is longer than ${HEADER_LIMITS.nameBytes} bytes` });
      else if (!HEADER_NAME.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: 'is not a valid header name' });
      else if (isKproxyHeader(lower)) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'is set by kproxy and cannot be configured' });
      } else if (isRoutingHeader(lower)) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: 'reroutes the request or changes its method at a gateway; put the destination in endpoint.url and the method in endpoint.method',
        });
      }
      if (/[\r\n\0]/.test(value)) ctx.addIssue({ code: 'custom', path: [name], message: 'must not contain line breaks' });
      if (Buffer.byteLength(value) > HEADER_LIMITS.valueBytes)
        ctx.addIssue({ code: 'custom', path: [name.slice(0, 64)], message: `the value is longer than ${HEADER_LIMITS.valueBytes} bytes` });
    }
  });

/** Headers kproxy writes itself; neither configured nor mapped headers may take these names. */
const isKproxyHeader = (lower: string): boolean =>
  RESERVED_HEADERS.has(lower) || lower.startsWith('x-kafka-') || lower === 'traceparent' || lower === 'tracestate';

const recordHeadersSchema = z
  .record(z.string(), z.string({ error: 'must be the HTTP header name to send it as' }), {
    error: 'must be an object of Kafka record header names to HTTP header names',
  })
  .superRefine((map, ctx) => {
    const entries = Object.entries(map);
    if (entries.length > 50) ctx.addIssue({ code: 'custom', message: 'may map at most 50 headers' });
    const targets = new Set<string>();
    for (const [recordHeader, httpHeader] of entries) {
      if (!recordHeader) ctx.addIssue({ code: 'custom', message: 'an empty record header name cannot be mapped' });
      else if (recordHeader.length > 255 || /[\u0000-\u001f\u007f]/.test(recordHeader)) {
        ctx.addIssue({ code: 'custom', path: [recordHeader], message: 'is not a usable record header name (1-255 characters, no control characters)' });
      }
      const lower = httpHeader.toLowerCase();
      if (!HEADER_NAME.test(httpHeader)) ctx.addIssue({ code: 'custom', path: [recordHeader], message: `"${httpHeader}" is not a valid HTTP header name` });
      else if (isKproxyHeader(lower))
        ctx.addIssue({ code: 'custom', path: [recordHeader], message: `"${httpHeader}" is set by kproxy and cannot be mapped to` });
      else if (targets.has(lower))
        ctx.addIssue({ code: 'custom', path: [recordHeader], message: `"${httpHeader}" is already the target of another record header` });
      targets.add(lower);
    }
  });

const httpUrl = z
  .string({ error: 'is required' })
  .max(2048)
  .superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      // Not echoed: a malformed URL may still carry a credential.
      ctx.addIssue({ code: 'custom', message: 'is not a valid URL (expected http(s)://host[:port]/path)' });
      return;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      ctx.addIssue({ code: 'custom', message: `scheme "${url.protocol.replace(':', '')}" is not allowed: use http or https` });
    }
    try {
      decodeURIComponent(url.username);
      decodeURIComponent(url.password);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'the user name or password holds a malformed %-escape' });
    }
  });

const endpointSchema = z.strictObject({
  url: httpUrl,
  method: z.enum(HTTP_METHODS, { error: `must be one of ${HTTP_METHODS.join(', ')}` }).default('POST'),
  headers: headersSchema.default({}),
  timeoutMs: int(1, 300_000, 5000),
  successStatus: z.array(int(100, 599), { error: 'must be an array of HTTP status codes' }).max(100).default([]),
  errcodePath: jsonPath.nullish().transform((v) => v ?? null),
  itemResultsPath: jsonPath.nullish().transform((v) => v ?? null),
  recordHeaders: recordHeadersSchema.default({}),
  rateGroup: z
    .string({ error: 'must be a string' })
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'must be 1-128 characters of letters, digits, ".", "_" or "-", starting with a letter or digit')
    .nullish()
    .transform((v) => v ?? null),
  errcodeOk: z
    // Errcodes are compared to response data, so numbers keep every digit (JsonNumber).
    .array(z.union([z.number(), z.string(), z.instanceof(JsonNumber)], { error: 'errcodes must be numbers or strings' }), { error: 'must be an array' })
    .min(1, 'must list at least one code')
    .max(100)
    .default([0]),
});

/** `delivery.circuitBreaker` (CircuitBreaker): defaults open it after 3 unavailable answers that are half of 10 s of attempts. */
const circuitBreakerSchema = z
  .strictObject({
    enabled: z.boolean({ error: 'must be true or false' }).default(true),
    failureRatio: settingNumber(z.number({ error: 'must be a number' }).gt(0, 'must be more than 0').max(1, 'must be at most 1').default(0.5)),
    minFailures: int(1, 10_000, 3),
    windowMs: int(1_000, 3_600_000, 10_000),
    probeIntervalMs: int(10, 3_600_000, 500),
    maxProbeIntervalMs: int(10, 3_600_000, 10_000),
  })
  .superRefine((b, ctx) => {
    if (b.maxProbeIntervalMs < b.probeIntervalMs) ctx.addIssue({ code: 'custom', path: ['maxProbeIntervalMs'], message: 'must be at least probeIntervalMs' });
  });

export const CIRCUIT_BREAKER_DEFAULTS = circuitBreakerSchema.parse({});

const deliverySchema = z
  .strictObject({
    maxRetries: int(0, 1000, 3),
    backoffMs: int(1, 3_600_000, 200),
    maxBackoffMs: int(1, 86_400_000, 30_000),
    ratePerSec: settingNumber(
      z
        .number({ error: 'must be a number' })
        .min(0, 'must be 0 (unlimited) or more')
        .max(1_000_000)
        .refine((r) => r === 0 || r >= MIN_RATE_PER_SEC, `must be 0 (unlimited) or at least ${MIN_RATE_PER_SEC} (one record in ${1 / MIN_RATE_PER_SEC} s)`)
        .default(0),
    ),
    ordering: z.enum(ORDERING_MODES, { error: `must be one of ${ORDERING_MODES.join(', ')}` }).default('partition'),
    maxInFlight: int(1, 10_000, 1),
    batchSize: int(1, MAX_BATCH_SIZE, 1),
    batchWaitMs: int(0, 60_000, 50),
    maxBatchBytes: int(MIN_BATCH_BYTES, MAX_BATCH_BYTES, DEFAULT_MAX_BATCH_BYTES),
    circuitBreaker: circuitBreakerSchema.default(() => circuitBreakerSchema.parse({})),
    adaptiveConcurrency: z.boolean({ error: 'must be true or false' }).default(true),
    keyParking: z.boolean({ error: 'must be true or false' }).default(false),
  })
  .superRefine((d, ctx) => {
    if (d.keyParking && d.ordering !== 'key')
      ctx.addIssue({ code: 'custom', path: ['keyParking'], message: 'needs ordering "key": records are parked behind an earlier record with the same key' });
    if (d.keyParking && d.batchSize > 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['keyParking'],
        message: 'needs batchSize 1: a batch can hold later records of a key that one of its records is refused for',
      });
    }
    if (d.maxBackoffMs < d.backoffMs) ctx.addIssue({ code: 'custom', path: ['maxBackoffMs'], message: 'must be at least backoffMs' });
  });

/** The most instances one subscription may ask to run on. */
export const MAX_REPLICAS = 1000;

export const ALERT_FORMATS = ['json', 'slack', 'wecom', 'dingtalk'] as const;

/** Where and when this subscription's alerts go; the webhook defaults to ALERT_WEBHOOK_URL. */
const alertsSchema = z.strictObject({
  webhookUrl: httpUrl.nullish().transform((v) => v ?? null),
  format: z.enum(ALERT_FORMATS, { error: `must be one of ${ALERT_FORMATS.join(', ')}` }).default('json'),
  deadLetters: z.boolean({ error: 'must be true or false' }).default(true),
  consumerErrors: z.boolean({ error: 'must be true or false' }).default(true),
  circuit: z.boolean({ error: 'must be true or false' }).default(true),
  lagThreshold: int(0, 1_000_000_000, 0),
  lagForSeconds: int(0, 86_400, 60),
  windowSeconds: int(1, 86_400, 60),
  cooldownSeconds: int(0, 86_400, 300),
});

export const subscriptionSpecSchema = z.strictObject({
  name: z
    .string({ error: 'is required' })
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'must be 1-128 characters of letters, digits, ".", "_" or "-", starting with a letter or digit'),
  /** The requester team it belongs to (REQUESTER_TOKENS); null: the operators'. Tickets get their token's team. */
  owner: z
    .string({ error: 'must be a team name' })
    .regex(TEAM_NAME, 'must be a team name: 1-64 lower-case letters, digits, ".", "_" or "-"')
    .nullish()
    .transform((v) => v ?? null),
  kafka: kafkaSchema,
  etl: etlSchema.nullish().transform((v) => v ?? null),
  endpoint: endpointSchema,
  delivery: deliverySchema.default(() => deliverySchema.parse({})),
  hosts: z
    .array(z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'instance ids are 1-128 characters of letters, digits, ".", "_", ":" or "-"'), {
      error: 'must be an array of instance ids',
    })
    .max(1000)
    .default([]),
  /**
   * With `hosts` empty: how many live instances run it (rendezvous placement); null = the
   * instances' SUBSCRIPTION_REPLICAS. Ignored while `hosts` pins it.
   */
  replicas: settingNumber(
    z
      .number({ error: 'must be a whole number from 1 to 1000, or null for SUBSCRIPTION_REPLICAS' })
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(MAX_REPLICAS, `must be at most ${MAX_REPLICAS}`),
  )
    .nullish()
    .transform((v) => v ?? null),
  status: z.enum(SUBSCRIPTION_STATUSES, { error: `must be one of ${SUBSCRIPTION_STATUSES.join(', ')}` }).default('stopped'),
  alerts: alertsSchema.nullish().transform((v) => v ?? null),
});

export type AlertsSpec = z.output<typeof alertsSchema>;

/** What applies to a subscription that sets no `alerts`: the schema's own defaults. */
export const ALERT_DEFAULTS: AlertsSpec = alertsSchema.parse({});

export type SubscriptionSpec = z.output<typeof subscriptionSpecSchema>;
export type SubscriptionInput = z.input<typeof subscriptionSpecSchema>;

/** Parses API or database input; missing fields read "is required" rather than a type error. */
export function parseSubscriptionSpec(input: unknown) {
  return subscriptionSpecSchema.safeParse(input, { error: requiredFieldError });
}
