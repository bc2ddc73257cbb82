import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AuditLog } from '../audit/audit-log.service';
import type { RequestActor } from '../common/request-context/request-actor';
import { DomainErrorCode } from '../common/errors/domain-error-code.enum';
import { DomainException } from '../common/errors/domain.exception';
import { AppConfig } from '../config/app.config';
import { EXCERPT_CHARS, type AttemptVerdict } from '../delivery/delivery-target';
import { HttpSender } from '../delivery/http-sender.service';
import type { HeaderList, RecordCoordinates } from '../delivery/kafka-headers';
import { DeadLetterReason } from '../model/dead-letter-reason.enum';
import { CompiledSubscription } from '../runtime/consumers/compiled-subscription';
import { RecordShaper } from '../shaping/record-shaper';
import { SubscriptionMapper } from '../subscriptions/subscription.mapper';
import { SubscriptionsService } from '../subscriptions/subscriptions.service';
import type { TestDeliveryRequest } from './dto/preview-request.schema';
import { EtlPreview, type HeaderPairs } from './etl-preview';
import { PreviewRecords } from './preview-record';

/** Marks a test delivery's request, so the endpoint can tell it from live traffic. */
export const TEST_DELIVERY_HEADER = 'x-kproxy-test-delivery';

export interface TestDeliveryResult {
  /** False when the record was not sent: the filter drops it, or it would be dead-lettered before sending. */
  readonly sent: boolean;
  /**
   * What kproxy would conclude from this one attempt: `success` (offset committed), `retry`
   * (another attempt after backoff), `dead_letter` (stored with `reason`), or `filtered`.
   */
  readonly outcome: 'success' | 'retry' | 'dead_letter' | 'filtered';
  readonly reason: DeadLetterReason | null;
  /** Why it is not a success, as a dead-letter row would say it; null on success. */
  readonly problem: string | null;
  /** The HTTP status; null when no answer came (connection error, timeout) or nothing was sent. */
  readonly status: number | null;
  /** The errcode at endpoint.errcodePath as JSON text; null without an errcode rule or when the answer has none. */
  readonly errcode: string | null;
  /** Milliseconds from sending to the verdict; null when nothing was sent. */
  readonly latencyMs: number | null;
  /** The start of the response body (EXCERPT_CHARS), when it was read (an errcode rule, or a failure). */
  readonly responseExcerpt: string | null;
  /** What was sent: method, URL and headers with secrets masked, and the body. */
  readonly request: { readonly method: string; readonly url: string; readonly body: string; readonly headers: HeaderPairs } | null;
}

/**
 * One delivery attempt to a subscription's endpoint, judged as the data path judges it (the
 * same HttpSender, DeliveryTarget.judge and success rule, item results for batches), touching
 * neither Kafka, nor offsets, nor the dead-letter store, nor the subscription's rate limit,
 * circuit breaker or metrics. The outbound guard applies: the endpoint is checked against it now
 * (400 DESTINATION_NOT_ALLOWED) and the sender's DNS lookup refuses blocked addresses.
 *
 * The request is the one the record would make, except that its `idempotency-key` is
 * `kproxy-test-<uuid>` and it carries `x-kproxy-test-delivery: 1`: an endpoint that remembers
 * idempotency keys must not take the test for the real record and later drop it.
 */
@Injectable()
export class TestDeliveryService {
  constructor(
    private readonly subscriptions: SubscriptionsService,
    private readonly sender: HttpSender,
    private readonly config: AppConfig,
    private readonly audit: AuditLog,
  ) {}

  /**
   * Sends and judges one test delivery, and records it in the audit log as
   * `subscription.test_delivery` (the verdict only: outcome, status, latency; never the body).
   * @throws DomainException SUBSCRIPTION_NOT_FOUND, SUBSCRIPTION_CONFIG_INVALID, DESTINATION_NOT_ALLOWED
   */
  async send(id: number, req: TestDeliveryRequest, actor: RequestActor): Promise<TestDeliveryResult> {
    const result = await this.attempt(id, req);
    await this.audit.record(
      {
        action: 'subscription.test_delivery',
        resourceType: 'subscription',
        resourceId: id,
        after: { sent: result.sent, outcome: result.outcome, status: result.status, latencyMs: result.latencyMs },
      },
      actor,
    );
    return result;
  }

  private async attempt(id: number, req: TestDeliveryRequest): Promise<TestDeliveryResult> {
    const { spec } = await this.subscriptions.loadRunnable(id);
    this.subscriptions.assertOutboundAllowed(spec);
    const sub = new CompiledSubscription(id, spec);
    const topic = sub.kafka.topic;
    const batching = sub.policy.batchSize > 1;
    let body: Buffer | string;
    let record: RecordCoordinates;
    let records = 1;
    if (req.record) {
      const sample = PreviewRecords.fromSample(req.record, topic);
      const prepared = RecordShaper.prepare(sample.value, sub.etl, this.config.maxMessageBytes);
      if (prepared.kind === 'filtered') return notSent('filtered', null, null);
      if (prepared.kind === 'reject') return notSent('dead_letter', prepared.reason, prepared.error);
      body = batching ? RecordShaper.batchBody([prepared.body]) : prepared.body;
      record = sample;
    } else {
      body = req.body!;
      record = { topic, partition: 0, offset: 0 };
      if (batching) records = batchLength(body, sub.policy.batchSize);
    }
    // A pasted batch of n elements goes with the headers of n records, as a live batch of n would.
    const members = Array.from({ length: records }, (_, i) => (i === 0 ? record : { topic, partition: record.partition, offset: record.offset + i }));
    const headers = testHeaders(batching ? RecordShaper.batchHeaders(sub.target, topic, members) : RecordShaper.headers(sub.target, record));
    const started = performance.now();
    const res = await this.sender.send(sub.target, body, headers);
    let verdict: AttemptVerdict = sub.target.judge(res);
    let refusedItem: string | null = null;
    if (verdict.ok && batching && sub.target.success.itemResultsPath) {
      // As processBatch reads a delivered array's answer: a missing list fails the attempt, a refused item dead-letters that record.
      const items = sub.target.success.items(res.body, records);
      if ('problem' in items) verdict = { ok: false, problem: items.problem, retryable: items.retryable, excerpt: res.body?.slice(0, EXCERPT_CHARS) ?? null };
      else refusedItem = items.refused[0]?.problem ?? null;
    }
    const latencyMs = Math.round((performance.now() - started) * 10) / 10;
    const { outcome, reason, problem } = conclusion(verdict, refusedItem, sub.retry.canRetry(1));
    return {
      sent: true,
      outcome,
      reason,
      problem,
      status: res.status || null,
      errcode: sub.target.success.errcode(res.body),
      latencyMs,
      responseExcerpt: res.body?.slice(0, EXCERPT_CHARS) ?? null,
      request: {
        method: sub.target.method,
        url: SubscriptionMapper.maskEndpointUrl(spec.endpoint.url),
        body: typeof body === 'string' ? body : body.toString('utf8'),
        headers: EtlPreview.masked(headers, sub.target.headers.length),
      },
    };
  }
}

/**
 * The data path's reading of a first attempt (RecordProcessor.deliver): a success is done; a
 * failure that is not retryable (a refusal, a 413, a success rule that threw) is dead-lettered
 * as `rejected`; a retryable one is tried again while delivery.maxRetries allows, else
 * dead-lettered as `retries_exhausted`.
 */
function conclusion(verdict: AttemptVerdict, refusedItem: string | null, mayRetry: boolean): Pick<TestDeliveryResult, 'outcome' | 'reason' | 'problem'> {
  if (verdict.ok) {
    return refusedItem === null
      ? { outcome: 'success', reason: null, problem: null }
      : { outcome: 'dead_letter', reason: DeadLetterReason.Rejected, problem: refusedItem };
  }
  if (!verdict.retryable) return { outcome: 'dead_letter', reason: DeadLetterReason.Rejected, problem: verdict.problem };
  if (mayRetry) return { outcome: 'retry', reason: null, problem: verdict.problem };
  return { outcome: 'dead_letter', reason: DeadLetterReason.RetriesExhausted, problem: verdict.problem };
}

/**
 * How many records a pasted body stands for on a batching subscription: it must be a JSON array
 * of 1 to batchSize elements, as live batches are (and as a preview's `batches` show them).
 * @throws DomainException VALIDATION_FAILED naming `body`
 */
function batchLength(body: string, batchSize: number): number {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || parsed.length === 0 || parsed.length > batchSize) {
    throw DomainException.forFields(DomainErrorCode.ValidationFailed, [
      {
        path: 'body',
        message: `this subscription sends batches (delivery.batchSize ${batchSize}): give a JSON array of 1 to ${batchSize} record bodies, as the preview's batches show, or a record`,
      },
    ]);
  }
  return parsed.length;
}

function notSent(outcome: 'filtered' | 'dead_letter', reason: DeadLetterReason | null, problem: string | null): TestDeliveryResult {
  return { sent: false, outcome, reason, problem, status: null, errcode: null, latencyMs: null, responseExcerpt: null, request: null };
}

function testHeaders(headers: HeaderList): HeaderList {
  const out = headers.slice();
  for (let i = 0; i < out.length; i += 2) if (out[i] === 'idempotency-key') out[i + 1] = `kproxy-test-${randomUUID()}`;
  out.push(TEST_DELIVERY_HEADER, '1');
  return out;
}
