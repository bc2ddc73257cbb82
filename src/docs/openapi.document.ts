import { z } from 'zod';
import { auditQuerySchema } from '../audit/dto/audit-query.schema';
import { deadLetterBulkJobSchema } from '../dead-letters/dto/dead-letter-bulk-job.schema';
import { deadLetterBulkSchema } from '../dead-letters/dto/dead-letter-bulk.schema';
import { deadLetterQuerySchema } from '../dead-letters/dto/dead-letter-query.schema';
import { deadLetterRedeliverSchema } from '../dead-letters/dto/dead-letter-redeliver.schema';
import { metricsQuerySchema } from '../control-plane/metrics-history/dto/metrics-query.schema';
import { offsetResetSchema } from '../control-plane/offsets/dto/offset-reset.schema';
import { previewRequestSchema, subscriptionPreviewSchema, testDeliverySchema } from '../preview/dto/preview-request.schema';
import { subscriptionListQuerySchema } from '../subscriptions/dto/subscription-list-query.schema';
import { subscriptionSpecSchema } from '../subscriptions/dto/subscription-spec.schema';
import { ticketApproveSchema, ticketCreateSchema, ticketQuerySchema, ticketRejectSchema } from '../tickets/dto/ticket.schemas';
import { RESPONSES, type ResponseName } from './response.schemas';

type Schema = z.ZodType;

interface Operation {
  summary: string;
  /** Who may call it when tokens are configured. */
  roles: 'operator' | 'operator, requester' | 'open';
  body?: string;
  /** The body may be left out. */
  bodyOptional?: boolean;
  query?: Schema;
  ok?: number;
  /** Takes If-Match with the subscription's ETag (its version); a stale one is a 412. */
  ifMatch?: true;
  /** The success answer: a schema of RESPONSES ("Ticket[]": a list of them), or the media types of a body that is not JSON. */
  answer: ResponseName | `${ResponseName}[]` | { media: string[] };
  /** Other statuses that answer with the same body (readiness: 503). */
  sameAnswerFor?: number[];
}

/** Request bodies, generated from the same zod schemas that validate them. */
const BODIES: Record<string, Schema> = {
  SubscriptionInput: subscriptionSpecSchema,
  SubscriptionPatch: subscriptionSpecSchema.partial(),
  TicketInput: ticketCreateSchema,
  TicketApprove: ticketApproveSchema,
  TicketReject: ticketRejectSchema,
  OffsetReset: offsetResetSchema,
  DeadLetterBulk: deadLetterBulkSchema,
  DeadLetterRedeliver: deadLetterRedeliverSchema,
  PreviewInput: previewRequestSchema,
  SubscriptionPreviewInput: subscriptionPreviewSchema,
  TestDeliveryInput: testDeliverySchema,
  DeadLetterBulkJob: deadLetterBulkJobSchema,
};

/** Every route the proxy serves, with its answer; openapi.document.spec.ts checks this against the controllers. */
export const OPERATIONS: Record<string, Operation> = {
  'POST /api/subscriptions': { summary: 'Create a subscription', roles: 'operator', body: 'SubscriptionInput', ok: 201, answer: 'Subscription' },
  'GET /api/subscriptions': {
    summary:
      'List subscriptions (secrets masked; a requester sees other teams\' as summaries, "view": "summary"), searched and filtered (q, topic, status, owner; health from the instances\' heartbeats: lagOver, breakerOpen, pendingDeadLetters), sorted (sort); X-Total-Count says how many match. Without limit and cursor the whole list; with them a page and, while more follow, a Link rel="next" header with the next cursor',
    roles: 'operator, requester',
    query: subscriptionListQuerySchema,
    answer: 'Subscription[]',
  },
  'GET /api/subscriptions/{id}': {
    summary: 'Read one subscription (secrets masked; a summary for a requester of another team)',
    roles: 'operator, requester',
    answer: 'Subscription',
  },
  'PATCH /api/subscriptions/{id}': {
    summary: 'Change a subscription; sections merge field by field',
    roles: 'operator',
    body: 'SubscriptionPatch',
    ifMatch: true,
    answer: 'Subscription',
  },
  'DELETE /api/subscriptions/{id}': { summary: 'Delete a subscription', roles: 'operator', ifMatch: true, answer: 'SubscriptionDeleted' },
  'POST /api/subscriptions/{id}/start': { summary: 'Start consuming', roles: 'operator', ifMatch: true, answer: 'Subscription' },
  'POST /api/subscriptions/{id}/stop': {
    summary: 'Stop consuming (in-flight deliveries drain first)',
    roles: 'operator',
    ifMatch: true,
    answer: 'Subscription',
  },
  'GET /api/subscriptions/{id}/status': {
    summary:
      'Instances (with outside group members), per-partition committed offset / high watermark / lag, counters; shared for STATUS_CACHE_MS (generatedAt, ageMs say how old); 429 with Retry-After when too many wait for Kafka; 403 for a requester of another team',
    roles: 'operator, requester',
    answer: 'SubscriptionStatus',
  },
  'GET /api/subscriptions/{id}/metrics': {
    summary:
      "The last window (query window: 90s, 15m, 1h, default 1h, at most METRICS_RETENTION_MS) of the subscription's numbers, one point per sampling interval (METRICS_SAMPLE_INTERVAL_MS) or a multiple of it: delivered/s, errors/s and error rate, p50/p99 delivery latency (Prometheus' histogram_quantile), lag; summed over instances from the metrics history they write; 403 for a requester of another team",
    roles: 'operator, requester',
    query: metricsQuerySchema,
    answer: 'SubscriptionMetrics',
  },
  'POST /api/subscriptions/{id}/offsets/reset': {
    summary: 'Reset the group offsets (earliest, latest, timestamp or explicit)',
    roles: 'operator',
    body: 'OffsetReset',
    answer: 'OffsetResetResult',
  },
  'POST /api/preview': {
    summary:
      'ETL preview of a subscription not stored (a ticket being written): for pasted records, or the last lastRecords (≤ 100) of the topic read without joining a group or committing, whether each is sent and the exact body and headers (secrets masked); a requester reads only clusters some subscription uses',
    roles: 'operator, requester',
    body: 'PreviewInput',
    answer: 'Preview',
  },
  'POST /api/subscriptions/{id}/preview': {
    summary: "ETL preview under the stored config (pasted records or the topic's last ones); 403 for a requester of another team",
    roles: 'operator, requester',
    body: 'SubscriptionPreviewInput',
    answer: 'Preview',
  },
  'POST /api/tickets/{id}/preview': {
    summary:
      "ETL preview of a ticket's subscription as its approval would create it, with its own credentials (pasted records or the topic's last ones; secrets masked in the answer); 400 TICKET_SPEC_INVALID when the current rules refuse it",
    roles: 'operator',
    body: 'SubscriptionPreviewInput',
    answer: 'Preview',
  },
  'POST /api/subscriptions/{id}/test-delivery': {
    summary:
      'Send one body (given, or shaped from a record) to the endpoint with the configured headers and answer the verdict kproxy would reach: status, errcode, success / retry / dead letter and why, latency; touches neither Kafka nor the dead-letter store',
    roles: 'operator',
    body: 'TestDeliveryInput',
    answer: 'TestDeliveryResult',
  },
  'POST /api/config/refresh': { summary: 'Re-read the subscriptions now instead of at the next interval', roles: 'operator', answer: 'ConfigRefresh' },
  'GET /api/dead-letters': {
    summary:
      'List dead letters, newest first, filtered by subscriptionId, topic, state, reason and createdFrom/createdTo (ISO 8601, on when it became a dead letter), as excerpts (large fields at most DEAD_LETTER_EXCERPT_BYTES each, named in excerptedFields with their full sizes); a page ends before DEAD_LETTER_LIST_MAX_BYTES with a Link rel="next" header; X-Total-Count says how many match the filter',
    roles: 'operator',
    query: deadLetterQuerySchema,
    answer: 'DeadLetter[]',
  },
  'GET /api/dead-letters/{id}': { summary: 'Read one dead letter, whole (value, key, headers, bodies as stored)', roles: 'operator', answer: 'DeadLetter' },
  'POST /api/dead-letters/{id}/redeliver': { summary: 'Deliver one dead letter again', roles: 'operator', answer: 'DeadLetter' },
  'POST /api/dead-letters/{id}/discard': { summary: 'Discard one dead letter', roles: 'operator', answer: 'DeadLetter' },
  'POST /api/dead-letters/redeliver': {
    summary:
      "Deliver a subscription's pending dead letters again (at most limit, default and maximum DEAD_LETTER_BULK_MAX_RECORDS) and answer when done: {redelivered, failed, discarded, jobId, state, more}",
    roles: 'operator',
    body: 'DeadLetterRedeliver',
    answer: 'RedeliveryResult',
  },
  'POST /api/dead-letters/redeliver-jobs': {
    summary:
      "Start a background job re-delivering a subscription's pending dead letters (at most limit); 202 with the job; 429 naming the running jobs when DEAD_LETTER_BULK_JOBS run",
    roles: 'operator',
    body: 'DeadLetterRedeliver',
    ok: 202,
    answer: 'RedeliveryJob',
  },
  'POST /api/dead-letters/bulk-jobs': {
    summary:
      "Start a background job that re-delivers or discards a selection: ids (at most 1000), or every pending dead letter a filter matches (the list's filter fields), at most limit; 202 with the job (watch and cancel it under redeliver-jobs); 429 when DEAD_LETTER_BULK_JOBS run",
    roles: 'operator',
    body: 'DeadLetterBulkJob',
    ok: 202,
    answer: 'RedeliveryJob',
  },
  'GET /api/dead-letters/redeliver-jobs': { summary: "This instance's re-delivery jobs, newest first", roles: 'operator', answer: 'RedeliveryJob[]' },
  'GET /api/dead-letters/redeliver-jobs/{jobId}': {
    summary: 'A re-delivery job: state, total, done, succeeded, failed, discarded, skipped, timestamps',
    roles: 'operator',
    answer: 'RedeliveryJob',
  },
  'POST /api/dead-letters/redeliver-jobs/{jobId}/cancel': {
    summary: 'Stop a re-delivery job before its next record',
    roles: 'operator',
    answer: 'RedeliveryJob',
  },
  'POST /api/dead-letters/discard': {
    summary: "Discard a subscription's pending dead letters",
    roles: 'operator',
    body: 'DeadLetterBulk',
    answer: 'DiscardResult',
  },
  'POST /api/tickets': {
    summary: "Request a subscription (runs nothing until approved; 409 for a held consumer group or another owner's rate group; 429 over the team's quota)",
    roles: 'operator, requester',
    body: 'TicketInput',
    ok: 201,
    answer: 'Ticket',
  },
  'GET /api/tickets': {
    summary: "List tickets, newest first (a requester: its team's only; operators: pending ones carry review and effective)",
    roles: 'operator, requester',
    query: ticketQuerySchema,
    answer: 'Ticket[]',
  },
  'GET /api/tickets/{id}': { summary: "Read one ticket (404 for another team's)", roles: 'operator, requester', answer: 'Ticket' },
  'POST /api/tickets/{id}/approve': {
    summary: 'Approve: create the subscription and record who and when',
    roles: 'operator',
    body: 'TicketApprove',
    bodyOptional: true,
    answer: 'Ticket',
  },
  'POST /api/tickets/{id}/reject': { summary: 'Reject with a reason', roles: 'operator', body: 'TicketReject', answer: 'Ticket' },
  'GET /api/instances': { summary: 'Registered instances, their heartbeat and what each runs', roles: 'operator', answer: 'Instance[]' },
  'GET /api/audit': {
    summary: 'Changes made through the API, newest first: who, what, when, before/after (secrets masked)',
    roles: 'operator',
    query: auditQuerySchema,
    answer: 'AuditEntry[]',
  },
  'GET /health/live': { summary: 'The process answers', roles: 'open', answer: 'HealthLive' },
  'GET /health/ready': {
    summary: 'The database answers and the supervisor has started (503 otherwise)',
    roles: 'open',
    answer: 'HealthReady',
    sameAnswerFor: [503],
  },
  'GET /metrics': { summary: 'Prometheus text format', roles: 'open', answer: { media: ['text/plain'] } },
  'GET /': { summary: 'The web console', roles: 'open', answer: { media: ['text/html'] } },
  'GET /console/{path}': {
    summary: "The console's modules and style (path may hold folders: pages/tickets.js), and under vendor/ the libraries it imports (Preact, htm)",
    roles: 'open',
    answer: { media: ['text/javascript', 'text/css'] },
  },
  'GET /docs': { summary: 'This API, as a page', roles: 'open', answer: { media: ['text/html'] } },
  'GET /docs/openapi.json': { summary: 'This API, as an OpenAPI 3.1 document', roles: 'open', answer: 'OpenApiDocument' },
};

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const ERROR = { 'application/json': { schema: ref('Error') } };

/** Request bodies are described on their input side (what a client sends), answers on their output side. */
function jsonSchema(schema: Schema, io: 'input' | 'output' = 'input'): Record<string, unknown> {
  // Checks zod cannot express are described in README.
  const out = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete out.$schema;
  return out;
}

/** Drops every `additionalProperties: false` of a JSON Schema (recursively, in place); returns it. */
function openObjects<T>(schema: T): T {
  if (Array.isArray(schema)) for (const item of schema) openObjects(item);
  else if (schema && typeof schema === 'object') {
    const node = schema as Record<string, unknown>;
    if (node.additionalProperties === false) delete node.additionalProperties;
    for (const value of Object.values(node)) openObjects(value);
  }
  return schema;
}

/** The content of a success answer. */
function answerContent(answer: Operation['answer']): Record<string, unknown> {
  if (typeof answer === 'object') return Object.fromEntries(answer.media.map((type) => [type, { schema: { type: 'string' } }]));
  const schema = answer.endsWith('[]') ? { type: 'array', items: ref(answer.slice(0, -2)) } : ref(answer);
  return { 'application/json': { schema } };
}

function queryParameters(schema: Schema): unknown[] {
  const properties = (jsonSchema(schema).properties ?? {}) as Record<string, unknown>;
  return Object.entries(properties).map(([name, s]) => ({ name, in: 'query', required: false, schema: s }));
}

/**
 * The OpenAPI 3.1 document of the admin API, built once: every route with its parameters,
 * request body, success answer and error answers (the `Error` schema: statusCode, error,
 * message, code, fields), as JSON Schema generated from the zod schemas (response.schemas.ts).
 */
export function buildOpenApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [key, op] of Object.entries(OPERATIONS)) {
    const [method, path] = key.split(' ');
    const parameters: unknown[] = [];
    if (path.includes('{id}')) parameters.push({ name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } });
    if (path.includes('{jobId}')) parameters.push({ name: 'jobId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } });
    if (path.includes('{path}')) parameters.push({ name: 'path', in: 'path', required: true, schema: { type: 'string' } });
    if (op.query) parameters.push(...queryParameters(op.query));
    if (op.ifMatch)
      parameters.push({
        name: 'If-Match',
        in: 'header',
        required: false,
        description: 'The ETag of the version the change is meant for (RFC 9110 §13.1.1), or *',
        schema: { type: 'string' },
      });
    const ok = String(op.ok ?? 200);
    const content = answerContent(op.answer);
    const named = path.includes('{id}') || path.includes('{jobId}');
    const operation: Record<string, unknown> = {
      summary: op.summary,
      description: `Roles: ${op.roles}.`,
      parameters,
      responses: {
        [ok]: { description: 'Success', content },
        ...Object.fromEntries((op.sameAnswerFor ?? []).map((status) => [String(status), { description: 'Not ready', content }])),
        ...(op.body || op.query || named
          ? { '400': { description: 'Invalid input, every bad field named (VALIDATION_FAILED with fields, or a more specific code)', content: ERROR } }
          : {}),
        ...(op.roles === 'open'
          ? {}
          : {
              '401': { description: 'Missing or wrong token (UNAUTHENTICATED)', content: ERROR },
              '429': {
                description: 'Too many failed authentications from this address (RATE_LIMITED), or busy (BUSY, TICKET_QUOTA_EXCEEDED); see Retry-After',
                content: ERROR,
              },
            }),
        ...(op.roles === 'operator' ? { '403': { description: 'The requester token may not call this (FORBIDDEN)', content: ERROR } } : {}),
        ...(named || path.includes('{path}')
          ? { '404': { description: 'No such resource (SUBSCRIPTION_NOT_FOUND, TICKET_NOT_FOUND, …) or file', content: ERROR } }
          : {}),
        ...(op.ifMatch ? { '412': { description: 'If-Match names a version that is no longer current (VERSION_MISMATCH)', content: ERROR } } : {}),
        default: { description: 'Any other error (409 conflicts, 422, 500, …); `code` says which', content: ERROR },
      },
      ...(op.roles === 'open' ? { security: [] } : {}),
    };
    if (op.body) {
      operation.requestBody = { required: !op.bodyOptional, content: { 'application/json': { schema: { $ref: `#/components/schemas/${op.body}` } } } };
    }
    paths[path] = { ...paths[path], [method.toLowerCase()]: operation };
  }
  const schemas: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(BODIES)) schemas[name] = jsonSchema(schema);
  // Answers are open in the document: API.md lets the server add fields, and a client generated
  // from this must accept them (a newer instance's heartbeat reaches /status through another).
  // The zod schemas stay closed so response.schemas.spec.ts catches a field the code adds.
  for (const [name, schema] of Object.entries(RESPONSES)) schemas[name] = openObjects(jsonSchema(schema, 'output'));
  return {
    openapi: '3.1.0',
    info: {
      title: 'kproxy admin API',
      version,
      description:
        "Kafka-to-HTTP consumer proxy. With ADMIN_TOKEN set, /api needs `Authorization: Bearer <token>`; a requester token (REQUESTER_TOKEN, or one team's in REQUESTER_TOKENS) may call the routes whose roles include requester, for its own team.",
    },
    security: [{ bearer: [] }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } }, schemas },
    paths,
  };
}
