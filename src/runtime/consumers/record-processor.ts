import type { Message } from '@confluentinc/kafka-javascript';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JsonLogger } from '../../common/logging/json.logger';
import type { DeadLetterRecord } from '../../dead-letters/dead-letter-record';
import { DeadLetterReason } from '../../dead-letters/dead-letter-reason.enum';
import type { DeadLettersService } from '../../dead-letters/dead-letters.service';
import type { HttpSender } from '../../delivery/http-sender.service';
import { kafkaRequestHeaders, type RecordCoordinates } from '../../delivery/kafka-headers';
import type { RateGate } from '../../delivery/rate-gate';
import type { SubscriptionMetrics } from '../../metrics/subscription-metrics';
import type { CompiledSubscription } from './compiled-subscription';

export type ProcessResult = 'done' | 'abandoned';

export interface RecordProcessorDeps {
  readonly sender: HttpSender;
  readonly deadLetters: DeadLettersService;
  readonly metrics: SubscriptionMetrics;
  readonly logger: JsonLogger;
  readonly gate: RateGate;
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

/**
 * Takes one record to done: filtered, delivered, or durably dead-lettered. Resolves
 * 'abandoned' only when the consumer is stopping, and then the record is not done.
 */
export class RecordProcessor {
  constructor(
    private readonly deps: RecordProcessorDeps,
    private readonly config: () => CompiledSubscription,
  ) {}

  /** signal: aborted when the record's partition is revoked or the consumer stops. */
  async process(msg: Message, signal: AbortSignal): Promise<ProcessResult> {
    const { metrics, maxMessageBytes } = this.deps;
    metrics.consumed();
    const value = msg.value;
    if (value === null || value === undefined) {
      return this.deadLetter(msg, signal, failure(DeadLetterReason.NoValue, 'record has no value (a tombstone); there is nothing to deliver'));
    }
    if (value.length > maxMessageBytes) {
      return this.deadLetter(
        msg,
        signal,
        failure(DeadLetterReason.TooLarge, `value is ${value.length} bytes, over the ${maxMessageBytes}-byte limit (MAX_MESSAGE_BYTES)`),
      );
    }
    const outcome = this.config().etl.apply(value);
    if (outcome.kind === 'filtered') {
      metrics.filtered();
      return 'done';
    }
    if (outcome.kind === 'reject') return this.deadLetter(msg, signal, failure(outcome.reason, outcome.error));
    return this.deliver(msg, outcome.body, signal);
  }

  private async deliver(msg: Message, body: Buffer | string, signal: AbortSignal): Promise<ProcessResult> {
    const { sender, metrics, gate } = this.deps;
    let cfg = this.config();
    let headers = kafkaRequestHeaders(cfg.target.headers, msg as RecordCoordinates);
    const firstAttemptAt = new Date();
    for (let attempt = 1; ; attempt++) {
      try {
        await gate.acquire(signal);
      } catch {
        return 'abandoned';
      }
      if (signal.aborted) return 'abandoned';
      const started = performance.now();
      const res = await sender.send(cfg.target, body, headers, signal);
      const verdict = cfg.target.judge(res);
      metrics.attempt((performance.now() - started) / 1000, verdict.ok);
      if (verdict.ok) {
        metrics.delivered();
        return 'done';
      }
      if (signal.aborted) return 'abandoned';
      if (!verdict.retryable || !cfg.retry.canRetry(attempt)) {
        return this.deadLetter(msg, signal, {
          reason: verdict.retryable ? DeadLetterReason.RetriesExhausted : DeadLetterReason.Rejected,
          error: verdict.problem,
          attempts: attempt,
          status: res.status || null,
          body: verdict.excerpt,
          transformed: typeof body === 'string' ? body : body.toString('utf8'),
          firstAttemptAt,
        });
      }
      metrics.retried();
      try {
        await sleep(cfg.retry.delayMs(attempt, res.retryAfterMs), undefined, { signal });
      } catch {
        return 'abandoned';
      }
      // Endpoint and retry changes made while this record waited apply to its next attempt.
      const next = this.config();
      if (next.target !== cfg.target) headers = kafkaRequestHeaders(next.target.headers, msg as RecordCoordinates);
      cfg = next;
    }
  }

  /** Done only once the row is durable; a database outage holds the record (and its partition). */
  private async deadLetter(msg: Message, signal: AbortSignal, f: Failure): Promise<ProcessResult> {
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
    for (let wait = 500; ; wait = Math.min(wait * 2, 30_000)) {
      try {
        await deadLetters.record(row);
        break;
      } catch (err) {
        logger.error('dead-letter write failed; holding the record until the database answers', {
          subscription: cfg.id,
          topic: msg.topic,
          partition: msg.partition,
          offset: msg.offset,
          err: (err as Error).message,
          retryInMs: wait,
        });
        try {
          await sleep(wait, undefined, { signal });
        } catch {
          return 'abandoned';
        }
      }
    }
    metrics.deadLettered(f.reason);
    logger.warn('record dead-lettered', {
      subscription: cfg.id,
      topic: msg.topic,
      partition: msg.partition,
      offset: msg.offset,
      reason: f.reason,
      attempts: f.attempts,
      status: f.status,
      err: f.error,
    });
    return 'done';
  }
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
