import type { Message } from '@confluentinc/kafka-javascript';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JsonLogger } from '../../common/logging/json.logger';
import { sqlErrorSummary } from '../../database/sql-failure';
import { cutUtf8 } from '../../dead-letters/dead-letter-bounds';
import type { DeadLetterRecord } from '../../model/dead-letter-record';
import { DeadLetterReason } from '../../model/dead-letter-reason.enum';
import type { AdaptiveConcurrency } from '../../delivery/adaptive-concurrency';
import { BatchSplitter } from '../../delivery/batch-splitter';
import type { CircuitBreaker } from '../../delivery/circuit-breaker';
import { DeliveryTarget, EXCERPT_CHARS } from '../../delivery/delivery-target';
import type { HeaderList, RecordCoordinates } from '../../delivery/kafka-headers';
import type { RateGate } from '../../delivery/rate-gate';
import type { SubscriptionMetrics } from '../../metrics/subscription-metrics';
import type { CompiledSubscription } from './compiled-subscription';
import type { DeadLetterSink, RecordSender } from './delivery-ports';
import { ParkedKeys } from './parked-keys';
import { RecordShaper } from '../../shaping/record-shaper';
import type { ProcessResult, RecordSink } from './record-sink';

export type { ProcessResult } from './record-sink';

export interface RecordProcessorDeps {
  readonly sender: RecordSender;
  readonly deadLetters: DeadLetterSink;
  readonly metrics: SubscriptionMetrics;
  /** The subscription's child logger (bound to subscription and topic): lines add partition and offset. */
  readonly logger: JsonLogger;
  /** The gate in force now: it changes when the subscription moves to another rate group. */
  gate(): RateGate;
  /** The breaker in force now (shared by the endpoint's origin); it changes with the endpoint. */
  breaker(): CircuitBreaker;
  /** Told each attempt's latency and what it said of the endpoint; null when nothing adapts. */
  readonly concurrency: AdaptiveConcurrency | null;
  /** Keys held back behind a pending dead letter, consulted when delivery.keyParking is on. */
  readonly parked: ParkedKeys;
  readonly maxMessageBytes: number;
}

interface Failure {
  reason: DeadLetterReason;
  error: string;
  attempts: number;
  status: number | null;
  body: string | null;
  transformed: string | null;
  firstAttemptAt: Date | null;
}

type Prepared = { readonly kind: 'done' } | { readonly kind: 'dead'; readonly failure: Failure } | { readonly kind: 'deliver'; readonly body: Buffer | string };

type Delivery = 'delivered' | 'abandoned' | Failure;

const PREPARED_DONE: Prepared = { kind: 'done' };
const LOGGED_ERROR_BYTES = 1_024;
const PARKED =
  'parked: an earlier record with this key is a dead letter (delivery.keyParking); re-delivering that key sends its records in order, this one included';

/**
 * Takes records to done: filtered, delivered, or durably dead-lettered. Resolves 'abandoned'
 * only when the consumer is stopping or the partition moved, and then the record is not done.
 */
export class RecordProcessor implements RecordSink {
  constructor(
    private readonly deps: RecordProcessorDeps,
    private readonly config: () => CompiledSubscription,
  ) {}

  /** signal: aborted when the record's partition is revoked or the consumer stops. */
  async process(msg: Message, signal: AbortSignal): Promise<ProcessResult> {
    // A tombstone is never parked: it is dead-lettered as no_value and holds nothing back.
    if (this.config().policy.keyParking && msg.value !== null && msg.value !== undefined) {
      const key = ParkedKeys.id(msg.key);
      if (key !== null && this.deps.parked.has(key)) {
        const parked = await this.store(msg, signal, failure(DeadLetterReason.Parked, PARKED), true);
        if (parked !== 'released') {
          if (parked === 'done') this.deps.metrics.consumed();
          return parked;
        }
        // Its dead letters were re-delivered: the key flows again, from this record on.
        this.deps.parked.delete(key);
      }
    }
    const prepared = this.prepare(msg);
    if (prepared.kind === 'done') return 'done';
    if (prepared.kind === 'dead') return this.deadLetter(msg, signal, prepared.failure);
    const body = prepared.body;
    const outcome = await this.deliver(body, 1, signal, (target) => RecordShaper.headers(target, msg as RecordCoordinates));
    if (outcome === 'delivered') return 'done';
    if (outcome === 'abandoned') return 'abandoned';
    outcome.transformed = bodyText(body);
    return this.deadLetter(msg, signal, outcome);
  }

  /**
   * JSON arrays of the records of `msgs` that pass the filter, in order, each body within
   * `delivery.maxBatchBytes` (a larger batch goes as consecutive parts, one after the other; a
   * record over the cap goes alone). Each part is acknowledged together and retried whole. A part
   * answered 413 (RFC 9110 §15.5.14) or refused (non-retryable) is halved and the halves sent in
   * order, recursively, so only the records the endpoint refuses are dead-lettered; a part whose
   * retries ran out is dead-lettered whole, record by record (see BatchSplitter for the cost
   * bound). Records that cannot be sent are dead-lettered one by one. Results follow `msgs`;
   * a record is 'abandoned' only when the signal stopped it before it was delivered.
   */
  async processBatch(msgs: readonly Message[], signal: AbortSignal): Promise<ProcessResult[]> {
    const results: ProcessResult[] = new Array<ProcessResult>(msgs.length).fill('done');
    const writes: Array<Promise<void>> = [];
    const members: Message[] = [];
    const indexes: number[] = [];
    const bodies: Array<Buffer | string> = [];
    for (let i = 0; i < msgs.length; i++) {
      const prepared = this.prepare(msgs[i]);
      if (prepared.kind === 'dead') writes.push(this.deadLetter(msgs[i], signal, prepared.failure).then((r) => void (results[i] = r)));
      else if (prepared.kind === 'deliver') {
        members.push(msgs[i]);
        indexes.push(i);
        bodies.push(prepared.body);
      }
    }
    if (members.length > 0) {
      const cfg = this.config();
      const topic = cfg.kafka.topic;
      const sizes = bodies.map((b) => (typeof b === 'string' ? Buffer.byteLength(b) : b.length));
      // Records a delivered array's response marked as refused (endpoint.itemResultsPath).
      const refusedItems = new Map<number, Failure>();
      const run = await new BatchSplitter(cfg.policy.maxBatchBytes).deliver<Failure>(sizes, async (from, to) => {
        const part = members.slice(from, to) as RecordCoordinates[];
        const outcome = await this.deliver(
          RecordShaper.batchBody(bodies.slice(from, to)),
          part.length,
          signal,
          (target) => RecordShaper.batchHeaders(target, topic, part),
          (index, f) => refusedItems.set(from + index, f),
        );
        if (outcome === 'delivered' || outcome === 'abandoned') return outcome;
        if (outcome.status === 413) return { kind: 'too_large', failure: outcome };
        const refused = outcome.reason === DeadLetterReason.Rejected && DeliveryTarget.mayBeRecordRefusal(outcome.status);
        return { kind: refused ? 'refused' : 'final', failure: outcome };
      });
      if (run.splits > 0) {
        this.deps.logger.warn('batch halved after a 413 or a refusal', {
          partition: members[0].partition,
          offset: members[0].offset,
          records: members.length,
          requests: run.requests,
          deadLettered: run.members.filter((m) => typeof m === 'object').length,
        });
      }
      for (let j = 0; j < members.length; j++) {
        const m = run.members[j];
        const refused = m === 'delivered' ? refusedItems.get(j) : undefined;
        if (refused) {
          const failure: Failure = { ...refused, transformed: bodyText(bodies[j]) };
          writes.push(this.deadLetter(members[j], signal, failure).then((r) => void (results[indexes[j]] = r)));
          continue;
        }
        if (m === 'delivered') continue;
        if (m === 'abandoned') {
          results[indexes[j]] = 'abandoned';
          continue;
        }
        const where =
          m.partSize > 1
            ? `in a batch of ${m.partSize}${m.budgetSpent ? `; halving stopped after the ${run.splits} extra requests a batch of ${members.length} may spend` : ''}`
            : run.splits > 0
              ? `alone, after halving a batch of ${members.length}`
              : 'in a batch of 1';
        const failure: Failure = { ...m.failure, error: `${m.failure.error} (${where})`, transformed: bodyText(bodies[j]) };
        writes.push(this.deadLetter(members[j], signal, failure).then((r) => void (results[indexes[j]] = r)));
      }
    }
    await Promise.all(writes);
    return results;
  }

  private prepare(msg: Message): Prepared {
    const { metrics, maxMessageBytes } = this.deps;
    metrics.consumed();
    const outcome = RecordShaper.prepare(msg.value, this.config().etl, maxMessageBytes);
    if (outcome.kind === 'deliver') return outcome;
    if (outcome.kind === 'filtered') {
      metrics.filtered();
      return PREPARED_DONE;
    }
    return { kind: 'dead', failure: failure(outcome.reason, outcome.error) };
  }

  /**
   * Attempts with retries under the current config; `records` permits are taken per attempt.
   * A 413 is a non-retryable failure whatever the success rule says (RFC 9110 §15.5.14: the body
   * is too large, so sending it again cannot help); batches halve on it.
   * `refusedItem` (batches, with endpoint.itemResultsPath set): a successful response must list
   * one result per record; those not in errcodeOk are reported by 0-based array position and the
   * delivery still counts as done for the rest. A response without such a list is a retryable
   * failure of the whole array, like a missing errcode.
   */
  private async deliver(
    body: Buffer | string,
    records: number,
    signal: AbortSignal,
    headersFor: (target: DeliveryTarget) => HeaderList,
    refusedItem?: (index: number, failure: Failure) => void,
  ): Promise<Delivery> {
    const { sender, metrics } = this.deps;
    let cfg = this.config();
    let headers = headersFor(cfg.target);
    // A number until a failure needs the Date: most records never fail.
    const firstAttemptMs = Date.now();
    // Attempts that count against maxRetries: not those that found the endpoint down while its
    // circuit breaker was open (the record waits for the endpoint instead of spending them).
    let spent = 0;
    for (let attempt = 1; ; attempt++) {
      const breaker = this.deps.breaker();
      let probe = false;
      if (!breaker.passable) {
        const admitted = await breaker.admit(signal, () => this.deps.breaker() === breaker);
        if (admitted === 'aborted') return 'abandoned';
        if (this.deps.breaker() !== breaker) {
          // The endpoint changed while this record waited (a PATCH): wait on its own breaker.
          if (admitted) breaker.cancelProbe();
          attempt--;
          continue;
        }
        probe = admitted;
        // Endpoint and retry changes made while this record waited apply to this attempt.
        const next = this.config();
        if (next.target !== cfg.target) headers = headersFor(next.target);
        cfg = next;
      }
      const asked = performance.now();
      try {
        await this.deps.gate().acquire(signal, records);
      } catch {
        if (probe) breaker.cancelProbe();
        return 'abandoned';
      }
      const started = performance.now();
      if (started - asked >= 1) metrics.rateWaited((started - asked) / 1000);
      if (signal.aborted) {
        if (probe) breaker.cancelProbe();
        return 'abandoned';
      }
      const res = await sender.send(cfg.target, body, headers, signal);
      const latencyMs = performance.now() - started;
      let verdict = cfg.target.judge(res);
      const items = verdict.ok && refusedItem && cfg.target.success.itemResultsPath ? cfg.target.success.items(res.body, records) : null;
      if (items && 'problem' in items)
        verdict = { ok: false, problem: items.problem, retryable: items.retryable, excerpt: res.body?.slice(0, EXCERPT_CHARS) ?? null };
      // A request cut short by a stop says nothing of the endpoint; a delivered one still counts.
      if (!verdict.ok && signal.aborted) {
        if (probe) breaker.cancelProbe();
        return 'abandoned';
      }
      metrics.attempt(latencyMs / 1000, verdict.ok);
      const said = DeliveryTarget.endpointSignal(res.status, verdict.ok);
      const down = breaker.report(said, probe);
      this.deps.concurrency?.sample(latencyMs, said);
      if (res.retryAfterMs !== undefined && (res.status === 429 || res.status === 503)) breaker.hold(Math.min(res.retryAfterMs, cfg.policy.maxBackoffMs));
      if (verdict.ok) {
        const refused = items && 'refused' in items ? items.refused : [];
        for (const item of refused) {
          refusedItem!(item.index, {
            reason: DeadLetterReason.Rejected,
            error: `${item.problem} (item ${item.index} of a batch of ${records})`,
            attempts: attempt,
            status: res.status,
            body: res.body?.slice(0, EXCERPT_CHARS) ?? null,
            transformed: null,
            firstAttemptAt: new Date(firstAttemptMs),
          });
        }
        metrics.delivered(records - refused.length);
        return 'delivered';
      }
      // While the endpoint is down, a failure that cannot be the record's own doing spends none of its retries.
      if (!(down && DeliveryTarget.notTheRecordsDoing(res) && verdict.retryable)) {
        spent++;
        if (!verdict.retryable || !cfg.retry.canRetry(spent)) {
          return {
            reason: verdict.retryable ? DeadLetterReason.RetriesExhausted : DeadLetterReason.Rejected,
            error: verdict.problem,
            attempts: attempt,
            status: res.status || null,
            body: verdict.excerpt,
            transformed: null,
            firstAttemptAt: new Date(firstAttemptMs),
          };
        }
        try {
          await sleep(cfg.retry.delayMs(spent, res.retryAfterMs), undefined, { signal });
        } catch {
          return 'abandoned';
        }
      }
      metrics.retried();
      // Endpoint and retry changes made while this record waited apply to its next attempt.
      const next = this.config();
      if (next.target !== cfg.target) headers = headersFor(next.target);
      cfg = next;
    }
  }

  /**
   * Dead-letters a record that kproxy itself failed on `failures` times in a row (reason
   * internal_error): a bug must not hold a partition forever. Resolves like process().
   */
  deadLetterUnexpected(msg: Message, signal: AbortSignal, error: string, failures: number): Promise<ProcessResult> {
    return this.deadLetter(
      msg,
      signal,
      failure(DeadLetterReason.InternalError, `kproxy failed on this record ${failures} times in a row: ${error}`.slice(0, 1000)),
    );
  }

  /**
   * Done only once the row is durable; a database outage holds the record (and its partition).
   * A row the database refuses for its values is stored without payload by DeadLettersService,
   * so what this loop retries is an outage.
   */
  private async deadLetter(msg: Message, signal: AbortSignal, f: Failure): Promise<ProcessResult> {
    const result = await this.store(msg, signal, f, false);
    return result === 'released' ? 'done' : result;
  }

  /**
   * deadLetter(); with `behindKey`, the record is stored only while its key still has a pending
   * dead letter (DeadLettersService.parkBehindKey), else 'released' and nothing is stored.
   */
  private async store(msg: Message, signal: AbortSignal, f: Failure, behindKey: boolean): Promise<ProcessResult | 'released'> {
    const { deadLetters, metrics, logger } = this.deps;
    const cfg = this.config();
    const row: DeadLetterRecord = {
      subscriptionId: cfg.id,
      topic: msg.topic,
      partition: msg.partition,
      offset: msg.offset,
      key: msg.key === undefined || msg.key === null ? null : Buffer.from(msg.key as Buffer | string),
      headers: recordHeaders(msg),
      value: msg.value ?? null,
      timestamp: msg.timestamp ?? null,
      transformedBody: f.transformed,
      reason: f.reason,
      attempts: f.attempts,
      lastStatus: f.status,
      lastError: f.error,
      responseExcerpt: f.body,
      firstAttemptAt: f.firstAttemptAt,
      lastAttemptAt: f.attempts > 0 ? new Date() : null,
    };
    // Capped low: once the database is back, held partitions should move again within seconds.
    for (let wait = 500; ; wait = Math.min(wait * 2, 5_000)) {
      try {
        if (behindKey && row.key) {
          if (!(await deadLetters.parkBehindKey({ ...row, key: row.key }))) return 'released';
        } else await deadLetters.record(row);
        break;
      } catch (err) {
        logger.error('dead-letter write failed; holding the record until the database answers', {
          partition: msg.partition,
          offset: msg.offset,
          // Never the error object: a failed query carries the statement and the record's bytes.
          ...sqlErrorSummary(err),
          retryInMs: wait,
        });
        try {
          await sleep(wait, undefined, { signal });
        } catch {
          return 'abandoned';
        }
      }
    }
    if (cfg.policy.keyParking && f.reason !== DeadLetterReason.NoValue) {
      const key = ParkedKeys.id(msg.key);
      if (key !== null) this.deps.parked.add(key);
    }
    metrics.deadLettered(f.reason);
    logger.warn('record dead-lettered', {
      partition: msg.partition,
      offset: msg.offset,
      reason: f.reason,
      attempts: f.attempts,
      status: f.status,
      // The row keeps the error (bounded); a log line only needs its start.
      err: cutUtf8(f.error, LOGGED_ERROR_BYTES),
    });
    return 'done';
  }
}

function bodyText(body: Buffer | string): string {
  return typeof body === 'string' ? body : body.toString('utf8');
}

function failure(reason: DeadLetterReason, error: string): Failure {
  return { reason, error, attempts: 0, status: null, body: null, transformed: null, firstAttemptAt: null };
}

function recordHeaders(msg: Message): Array<[string, string]> | null {
  if (!msg.headers || msg.headers.length === 0) return null;
  const out: Array<[string, string]> = [];
  for (const header of msg.headers) {
    for (const [name, value] of Object.entries(header)) out.push([name, Buffer.from(value).toString('base64')]);
  }
  return out;
}
