import type { ZodType } from 'zod';
import { DomainErrorCode } from '../common/errors/domain-error-code.enum';
import { DomainExceptionFilter } from '../common/errors/domain-exception.filter';
import { DomainException } from '../common/errors/domain.exception';
import { JsonLogger } from '../common/logging/json.logger';
import { DeadLetterEntity } from '../dead-letters/dead-letter.entity';
import type { DeadLetterExcerptRow } from '../dead-letters/dead-letters.repository';
import { DeadLetterResponseDto } from '../dead-letters/dto/dead-letter-response.dto';
import { RedeliveryJobResponseDto } from '../dead-letters/dto/redelivery-job-response.dto';
import { RedeliveryJob } from '../dead-letters/redelivery-job';
import { SubscriptionResponseDto } from '../subscriptions/dto/subscription-response.dto';
import { parseSubscriptionSpec } from '../subscriptions/dto/subscription-spec.schema';
import { SubscriptionEntity } from '../subscriptions/entities/subscription.entity';
import { SubscriptionMapper } from '../subscriptions/subscription.mapper';
import { TicketResponseDto } from '../tickets/dto/ticket-response.dto';
import { TicketEntity } from '../tickets/ticket.entity';
import { DeliveryTarget } from '../delivery/delivery-target';
import { endpointSpec } from '../delivery/endpoint-spec.fixture';
import { EtlPipeline } from '../etl/etl-pipeline';
import { EtlPreview } from '../preview/etl-preview';
import { buildSeries } from '../metrics/history/metric-series';
import {
  deadLetterSchema,
  errorSchema,
  previewSchema,
  redeliveryJobSchema,
  subscriptionMetricsSchema,
  subscriptionResponseSchema,
  testDeliveryResultSchema,
  ticketSchema,
} from './response.schemas';

const AT = new Date('2026-05-01T10:00:00.000Z');
const BODY = {
  name: 'orders-to-billing',
  kafka: { brokers: '127.0.0.1:9092', topic: 'orders' },
  etl: { filter: [{ path: '$.type', op: 'eq', value: 'order' }], fields: { id: '$.id' } },
  endpoint: { url: 'https://user:pw@billing.example/orders?key=k', headers: { Authorization: 'Bearer s' } },
  delivery: { circuitBreaker: { minFailures: 5 } },
};

/** What a client receives: the DTO as JSON. */
const wire = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

function expectValid(schema: ZodType, value: unknown): void {
  const parsed = schema.safeParse(wire(value));
  expect(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([]);
}

function subscriptionRow(): SubscriptionEntity {
  const spec = parseSubscriptionSpec(BODY);
  if (!spec.success) throw new Error(spec.error.message);
  return Object.assign(SubscriptionMapper.apply(new SubscriptionEntity(), spec.data), { id: 7, version: 3, createdAt: AT, updatedAt: AT });
}

describe('answer schemas of the OpenAPI document', () => {
  it('describe a subscription in full and as a summary', () => {
    const row = subscriptionRow();
    expectValid(subscriptionResponseSchema, SubscriptionResponseDto.from(row, SubscriptionMapper.toInput(row), []));
    expectValid(subscriptionResponseSchema, SubscriptionResponseDto.from(row, SubscriptionMapper.toInput(row), ['endpoint.url: no configured key opens it']));
    expectValid(subscriptionResponseSchema, SubscriptionResponseDto.summary(row));
  });

  it('refuse an answer with a field they do not describe, or without one they require', () => {
    const row = subscriptionRow();
    const full = wire(SubscriptionResponseDto.from(row, SubscriptionMapper.toInput(row), [])) as Record<string, unknown>;
    expect(subscriptionResponseSchema.safeParse({ ...full, surprise: 1 }).success).toBe(false);
    expect(subscriptionResponseSchema.safeParse({ ...full, version: undefined }).success).toBe(false);
  });

  it('describe a dead letter, whole and as a list excerpt', () => {
    const row = Object.assign(new DeadLetterEntity(), {
      id: '12',
      subscriptionId: 7,
      topic: 'orders',
      partition: 0,
      offset: '42',
      key: Buffer.from('k'),
      headers: [['trace', 'abc']],
      value: Buffer.from([0xff, 0xfe]),
      transformedBody: null,
      reason: 'http_error',
      attempts: 4,
      lastStatus: 500,
      lastError: 'HTTP status 500',
      responseExcerpt: 'busy',
      truncatedFields: null,
      state: 'pending',
      firstAttemptAt: AT,
      lastAttemptAt: AT,
      createdAt: AT,
      updatedAt: AT,
    });
    expectValid(deadLetterSchema, DeadLetterResponseDto.from(row));
    const excerpt: DeadLetterExcerptRow = {
      ...row,
      id: 12,
      offset: 42,
      key: { prefix: Buffer.from('k'), storedBytes: 1 },
      value: { prefix: Buffer.alloc(11, 'v'), storedBytes: 5000 },
      headers: { prefix: '[["trace","abc"]]', storedBytes: 17 },
      transformedBody: { prefix: null, storedBytes: null },
      lastError: { prefix: 'HTTP status 500', storedBytes: 15 },
      responseExcerpt: { prefix: 'busy', storedBytes: 4 },
    };
    const listed = DeadLetterResponseDto.fromExcerpt(excerpt, 10);
    expect(listed.excerptedFields).toEqual({ value: 5000, headers: 17, lastError: 15 });
    expectValid(deadLetterSchema, listed);
  });

  it('describe a re-delivery job queued, running and finished', () => {
    const job = new RedeliveryJob(7, 100, 'host-a');
    expectValid(redeliveryJobSchema, RedeliveryJobResponseDto.from(job));
    job.start(250);
    job.settle('redelivered');
    expectValid(redeliveryJobSchema, RedeliveryJobResponseDto.from(job));
    job.finish('failed', 'subscription 7 no longer exists');
    expectValid(redeliveryJobSchema, RedeliveryJobResponseDto.from(job));
    const filtered = new RedeliveryJob(null, 100, 'host-a', 'discard', { filter: { reason: 'rejected', createdFrom: AT } });
    expectValid(redeliveryJobSchema, RedeliveryJobResponseDto.from(filtered));
    expectValid(redeliveryJobSchema, RedeliveryJobResponseDto.from(new RedeliveryJob(null, 100, 'host-a', 'redeliver', { ids: [1, 2] })));
  });

  it('describe a ticket pending with its review, and decided', () => {
    const row = Object.assign(new TicketEntity(), {
      id: 3,
      state: 'pending',
      requester: 'ann',
      team: 'payments',
      reason: 'billing feed',
      name: BODY.name,
      spec: BODY,
      subscriptionId: null,
      decidedBy: null,
      decidedAt: null,
      rejectionReason: null,
      createdAt: AT,
      updatedAt: AT,
    });
    expectValid(ticketSchema, TicketResponseDto.from(row, BODY, [{ field: 'kafka.brokers', concern: 'new brokers' }], BODY));
    expectValid(ticketSchema, TicketResponseDto.from(Object.assign(row, { state: 'approved', subscriptionId: 9, decidedBy: 'olga', decidedAt: AT }), BODY));
  });

  it('describe an ETL preview, single and batched, and a test delivery', () => {
    const record = (offset: number, value: string | null) => ({
      topic: 't',
      partition: 0,
      offset,
      timestamp: 1,
      key: 'k',
      value: value === null ? null : Buffer.from(value),
    });
    for (const batchSize of [1, 5]) {
      const result = EtlPreview.run(
        {
          topic: 't',
          etl: EtlPipeline.compile({ fields: { id: '$.id' } }),
          target: new DeliveryTarget(endpointSpec('http://h.example/x')),
          url: 'http://h.example/x',
          batchSize,
          maxBatchBytes: 1_048_576,
          ordering: 'partition',
          maxMessageBytes: 1_048_576,
        },
        [record(1, '{"id":1}'), record(2, null), record(3, '{}')],
      );
      expectValid(previewSchema, {
        source: 'topic',
        topic: 't',
        read: { partitions: [{ partition: 0, low: 0, high: 4, from: 1 }], complete: true },
        ...result,
      });
    }
    expectValid(testDeliveryResultSchema, {
      sent: true,
      outcome: 'retry',
      reason: null,
      problem: 'HTTP status 500 is not a success status',
      status: 500,
      errcode: null,
      latencyMs: 3.2,
      responseExcerpt: 'oops',
      request: { method: 'POST', url: 'http://h.example/x', body: '{}', headers: [['content-type', 'application/json']] },
    });
  });

  it('describe a metrics series, with points that have data and points that do not', () => {
    const slots = new Array<number>(15).fill(0);
    const at = (seconds: number, delivered: number) => ({
      instanceId: 'a',
      run: 1,
      at: AT.getTime() + seconds * 1000,
      counters: { consumed: delivered, delivered, filtered: 0, retried: 1, deadLettered: 0 },
      success: slots.map((_, i) => (i === 4 ? delivered : 0)),
      failure: slots,
      lag: 3,
    });
    const points = buildSeries([at(0, 0), at(15, 30), at(90, 60)], { from: AT.getTime(), stepMs: 15_000, samplingIntervalMs: 15_000 });
    expect(points.some((p) => p.deliveredPerSecond === null)).toBe(true);
    expectValid(subscriptionMetricsSchema, {
      subscriptionId: 4,
      window: '1h',
      from: AT.toISOString(),
      to: AT.toISOString(),
      samplingIntervalMs: 15_000,
      stepMs: 15_000,
      points,
    });
  });

  it('describe every error body the filter answers', () => {
    const filter = new DomainExceptionFilter(new JsonLogger('error', () => undefined));
    for (const code of Object.values(DomainErrorCode)) expectValid(errorSchema, filter.describe(new DomainException(code, ['a: is wrong'])));
    expectValid(
      errorSchema,
      filter.describe(DomainException.forFields(DomainErrorCode.ValidationFailed, [{ path: 'endpoint.url', message: 'must use http' }])),
    );
    expectValid(errorSchema, filter.describe(new Error('crash')));
  });
});
