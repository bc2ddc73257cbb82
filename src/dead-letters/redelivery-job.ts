import { randomUUID } from 'node:crypto';
import type { BulkControl, RedeliveryOutcome } from './dead-letter-redelivery.service';
import type { DeadLetterSelection } from './dead-letter-selection';

export type RedeliveryJobState = 'queued' | 'running' | 'done' | 'cancelled' | 'failed';
/** What a job does to each dead letter it takes. */
export type BulkAction = 'redeliver' | 'discard';

/**
 * One bulk action on pending dead letters — a subscription's re-delivery, or a re-delivery or
 * discard of a selection (ids, or a filter; `selection`) — run in the background by
 * RedeliveryJobsService, in the memory of the instance that runs it. It is the run's
 * BulkControl: take() lets at most `limit` records be sent and none once cancelled (a cancel
 * stops it between records; records in flight finish), settle() counts each outcome.
 */
export class RedeliveryJob implements BulkControl {
  readonly id = randomUUID();
  readonly createdAt = new Date();
  state: RedeliveryJobState = 'queued';
  /** Pending dead letters it will cover: the lower of `limit` and those pending when it started (records). */
  total = 0;
  /** Whether more were pending than `limit` when it started: another job is needed for the rest. */
  more = false;
  /** Records sent or found taken, so far. */
  taken = 0;
  succeeded = 0;
  failed = 0;
  discarded = 0;
  /** Rows another request was re-delivering or discarding when this one reached them. */
  skipped = 0;
  cancelRequested = false;
  startedAt: Date | null = null;
  finishedAt: Date | null = null;
  /** Why it failed (state failed): the subscription went away, the database failed. */
  error: string | null = null;
  /** What it failed with (state failed), for a caller that waits for it; never answered as is. */
  cause: unknown = null;
  private settleFinished!: () => void;
  /** Resolves when it reaches done, cancelled or failed; never rejects. */
  readonly finished = new Promise<void>((resolve) => (this.settleFinished = resolve));

  constructor(
    /** The subscription whose dead letters it takes; null: a selection across subscriptions. */
    readonly subscriptionId: number | null,
    /** The most records it may send (records). */
    readonly limit: number,
    readonly instanceId: string,
    readonly action: BulkAction = 'redeliver',
    /** The dead letters it takes; null: every pending one of `subscriptionId`. */
    readonly selection: DeadLetterSelection | null = null,
  ) {}

  /** Records it has an outcome for (sent, or found held by another request). */
  get done(): number {
    return this.succeeded + this.failed + this.discarded + this.skipped;
  }

  get active(): boolean {
    return this.state === 'queued' || this.state === 'running';
  }

  take(): boolean {
    if (this.cancelRequested || this.taken >= this.limit) return false;
    this.taken++;
    return true;
  }

  settle(outcome: RedeliveryOutcome | null): void {
    if (outcome === 'redelivered') this.succeeded++;
    else if (outcome === 'failed') this.failed++;
    else if (outcome === 'discarded') this.discarded++;
    else this.skipped++;
  }

  start(pending: number): void {
    this.state = 'running';
    this.startedAt = new Date();
    this.total = Math.min(pending, this.limit);
    this.more = pending > this.limit;
  }

  /** Asks it to stop before its next record; a queued job ends at once. Idempotent. */
  cancel(): void {
    if (!this.active) return;
    this.cancelRequested = true;
    if (this.state === 'queued') this.finish('cancelled');
  }

  /** Ends it; `error` only for failed. The first end wins. */
  finish(state: 'done' | 'cancelled' | 'failed', error: string | null = null, cause: unknown = null): void {
    if (!this.active) return;
    this.state = state === 'done' && this.cancelRequested ? 'cancelled' : state;
    this.error = error;
    this.cause = cause;
    this.finishedAt = new Date();
    this.settleFinished();
  }
}
