import { z } from 'zod';
import { auditQuerySchema } from '../audit/dto/audit-query.schema';
import { deadLetterBulkSchema } from '../dead-letters/dto/dead-letter-bulk.schema';
import { deadLetterQuerySchema } from '../dead-letters/dto/dead-letter-query.schema';
import { deadLetterRedeliverSchema } from '../dead-letters/dto/dead-letter-redeliver.schema';
import { offsetResetSchema } from '../control-plane/offsets/dto/offset-reset.schema';
import { subscriptionSpecSchema } from '../subscriptions/dto/subscription-spec.schema';
import { ticketApproveSchema, ticketCreateSchema, ticketQuerySchema, ticketRejectSchema } from '../tickets/dto/ticket.schemas';

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
};

/** Every route the proxy serves; openapi.document.spec.ts checks this against the controllers. */
export const OPERATIONS: Record<string, Operation> = {
  'POST /api/subscriptions': { summary: 'Create a subscription', roles: 'operator', body: 'SubscriptionInput', ok: 201 },
  'GET /api/subscriptions': { summary: 'List subscriptions (secrets masked; a requester sees other teams\' as summaries, "view": "summary")', roles: 'operator, requester' },
  'GET /api/subscriptions/{id}': { summary: 'Read one subscription (secrets masked; a summary for a requester of another team)', roles: 'operator, requester' },
  'PATCH /api/subscriptions/{id}': { summary: 'Change a subscription; sections merge field by field', roles: 'operator', body: 'SubscriptionPatch', ifMatch: true },
  'DELETE /api/subscriptions/{id}': { summary: 'Delete a subscription', roles: 'operator', ifMatch: true },
  'POST /api/subscriptions/{id}/start': { summary: 'Start consuming', roles: 'operator', ifMatch: true },
  'POST /api/subscriptions/{id}/stop': { summary: 'Stop consuming (in-flight deliveries drain first)', roles: 'operator', ifMatch: true },
  'GET /api/subscriptions/{id}/status': {
    summary: 'Instances (with outside group members), per-partition committed offset / high watermark / lag, counters; shared for STATUS_CACHE_MS (generatedAt, ageMs say how old); 429 with Retry-After when too many wait for Kafka; 403 for a requester of another team',
    roles: 'operator, requester',
  },
  'POST /api/subscriptions/{id}/offsets/reset': { summary: 'Reset the group offsets (earliest, latest, timestamp or explicit)', roles: 'operator', body: 'OffsetReset' },
  'POST /api/config/refresh': { summary: 'Re-read the subscriptions now instead of at the next interval', roles: 'operator' },
  'GET /api/dead-letters': {
    summary: 'List dead letters, newest first, as excerpts (large fields at most DEAD_LETTER_EXCERPT_BYTES each, named in excerptedFields with their full sizes); a page ends before DEAD_LETTER_LIST_MAX_BYTES with a Link rel="next" header',
    roles: 'operator',
    query: deadLetterQuerySchema,
  },
  'GET /api/dead-letters/{id}': { summary: 'Read one dead letter, whole (value, key, headers, bodies as stored)', roles: 'operator' },
  'POST /api/dead-letters/{id}/redeliver': { summary: 'Deliver one dead letter again', roles: 'operator' },
  'POST /api/dead-letters/{id}/discard': { summary: 'Discard one dead letter', roles: 'operator' },
  'POST /api/dead-letters/redeliver': {
    summary: "Deliver a subscription's pending dead letters again (at most limit, default and maximum DEAD_LETTER_BULK_MAX_RECORDS) and answer when done: {redelivered, failed, discarded, jobId, state, more}",
    roles: 'operator',
    body: 'DeadLetterRedeliver',
  },
  'POST /api/dead-letters/redeliver-jobs': {
    summary: "Start a background job re-delivering a subscription's pending dead letters (at most limit); 202 with the job; 429 naming the running jobs when DEAD_LETTER_BULK_JOBS run",
    roles: 'operator',
    body: 'DeadLetterRedeliver',
    ok: 202,
  },
  'GET /api/dead-letters/redeliver-jobs': { summary: "This instance's re-delivery jobs, newest first", roles: 'operator' },
  'GET /api/dead-letters/redeliver-jobs/{jobId}': { summary: 'A re-delivery job: state, total, done, succeeded, failed, discarded, skipped, timestamps', roles: 'operator' },
  'POST /api/dead-letters/redeliver-jobs/{jobId}/cancel': { summary: 'Stop a re-delivery job before its next record', roles: 'operator' },
  'POST /api/dead-letters/discard': { summary: "Discard a subscription's pending dead letters", roles: 'operator', body: 'DeadLetterBulk' },
  'POST /api/tickets': { summary: 'Request a subscription (runs nothing until approved; 409 for a held consumer group or another owner\'s rate group; 429 over the team\'s quota)', roles: 'operator, requester', body: 'TicketInput', ok: 201 },
  'GET /api/tickets': { summary: 'List tickets, newest first (a requester: its team\'s only; operators: pending ones carry review and effective)', roles: 'operator, requester', query: ticketQuerySchema },
  'GET /api/tickets/{id}': { summary: 'Read one ticket (404 for another team\'s)', roles: 'operator, requester' },
  'POST /api/tickets/{id}/approve': { summary: 'Approve: create the subscription and record who and when', roles: 'operator', body: 'TicketApprove', bodyOptional: true },
  'POST /api/tickets/{id}/reject': { summary: 'Reject with a reason', roles: 'operator', body: 'TicketReject' },
  'GET /api/instances': { summary: 'Registered instances, their heartbeat and what each runs', roles: 'operator' },
  'GET /api/audit': { summary: 'Changes made through the API, newest first: who, what, when, before/after (secrets masked)', roles: 'operator', query: auditQuerySchema },
  'GET /health/live': { summary: 'The process answers', roles: 'open' },
  'GET /health/ready': { summary: 'The database answers and the supervisor has started (503 otherwise)', roles: 'open' },
  'GET /metrics': { summary: 'Prometheus text format', roles: 'open' },
  'GET /': { summary: 'The web console', roles: 'open' },
  'GET /console/{path}': { summary: "The console's modules and style (path may hold folders: pages/tickets.js), and under vendor/ the libraries it imports (Preact, htm)", roles: 'open' },
  'GET /docs': { summary: 'This API, as a page', roles: 'open' },
  'GET /docs/openapi.json': { summary: 'This API, as an OpenAPI 3.1 document', roles: 'open' },
};

const ERROR = {
  type: 'object',
  properties: {
    statusCode: { type: 'integer' },
    error: { type: 'string' },
    message: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }], description: 'every invalid field is named' },
  },
};

function jsonSchema(schema: Schema): Record<string, unknown> {
  // The input side is what a client sends; checks zod cannot express are described in README.
  const out = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete out.$schema;
  return out;
}

function queryParameters(schema: Schema): unknown[] {
  const properties = (jsonSchema(schema).properties ?? {}) as Record<string, unknown>;
  return Object.entries(properties).map(([name, s]) => ({ name, in: 'query', required: false, schema: s }));
}

/** The OpenAPI 3.1 document of the admin API, built once. */
export function buildOpenApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [key, op] of Object.entries(OPERATIONS)) {
    const [method, path] = key.split(' ');
    const parameters: unknown[] = [];
    if (path.includes('{id}')) parameters.push({ name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } });
    if (path.includes('{jobId}')) parameters.push({ name: 'jobId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } });
    if (path.includes('{path}')) parameters.push({ name: 'path', in: 'path', required: true, schema: { type: 'string' } });
    if (op.query) parameters.push(...queryParameters(op.query));
    if (op.ifMatch) parameters.push({ name: 'If-Match', in: 'header', required: false, description: 'The ETag of the version the change is meant for (RFC 9110 §13.1.1), or *', schema: { type: 'string' } });
    const ok = String(op.ok ?? 200);
    const operation: Record<string, unknown> = {
      summary: op.summary,
      description: `Roles: ${op.roles}.`,
      parameters,
      responses: {
        [ok]: { description: 'Success' },
        ...(op.roles === 'open'
          ? {}
          : {
              '401': { description: 'Missing or wrong token', content: { 'application/json': { schema: ERROR } } },
              '429': { description: 'Too many failed authentications from this address; see Retry-After', content: { 'application/json': { schema: ERROR } } },
            }),
        ...(op.roles === 'operator' ? { '403': { description: 'The requester token may not call this', content: { 'application/json': { schema: ERROR } } } } : {}),
        ...(op.ifMatch ? { '412': { description: 'If-Match names a version that is no longer current', content: { 'application/json': { schema: ERROR } } } } : {}),
        ...(op.body || op.query || path.includes('{id}') || path.includes('{jobId}') ? { '400': { description: 'Invalid input, every bad field named', content: { 'application/json': { schema: ERROR } } } } : {}),
      },
      ...(op.roles === 'open' ? { security: [] } : {}),
    };
    if (op.body) {
      operation.requestBody = { required: !op.bodyOptional, content: { 'application/json': { schema: { $ref: `#/components/schemas/${op.body}` } } } };
    }
    paths[path] = { ...paths[path], [method.toLowerCase()]: operation };
  }
  const schemas: Record<string, unknown> = { Error: ERROR };
  for (const [name, schema] of Object.entries(BODIES)) schemas[name] = jsonSchema(schema);
  return {
    openapi: '3.1.0',
    info: {
      title: 'kproxy admin API',
      version,
      description: 'Kafka-to-HTTP consumer proxy. With ADMIN_TOKEN set, /api needs `Authorization: Bearer <token>`; a requester token (REQUESTER_TOKEN, or one team\'s in REQUESTER_TOKENS) may call the routes whose roles include requester, for its own team.',
    },
    security: [{ bearer: [] }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } }, schemas },
    paths,
  };
}
