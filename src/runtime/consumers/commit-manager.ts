import { RepeatSuppressor } from '../../common/logging/repeat-suppressor';
import { CommitBatcher } from './commit-batcher';
import { CommitReceipts, type CommittedOffset } from './commit-receipts';
import type { CommitOffsets } from './partition-ledger';

/** A refusal from the client or the broker: librdkafka's message and error code. */
export interface CommitError {
  readonly message: string;
  readonly code?: number;
}

/** What the commit manager needs of the consumer (the Kafka session, the ledger, alerts, logs). */
export interface CommitHost {
  /** Sends a commit; resolves with the client's refusal to queue it, or null once queued. */
  send(offsets: CommitOffsets): Promise<CommitError | null>;
  /** Offsets worth committing now (done prefixes past what the broker confirmed); empty when disconnected. */
  doneOffsets(): CommitOffsets;
  /** The broker confirmed these offsets. */
  confirmed(offsets: readonly CommittedOffset[]): void;
  /** Running (not stopping): only then is a commit's answer awaited and a hold taken. */
  running(): boolean;
  /** The hold ended: start deliveries again. Called on a later turn, never inside consume(). */
  dispatch(): void;
  /** The fetch loop must come round soon: commit answers and rebalances are served inside consume(). */
  wakeFetch(): void;
  reportProblem(message: string): void;
  log(level: 'info' | 'warn', msg: string, fields: Record<string, unknown>): void;
  commitSent(): void;
  commitFailed(): void;
  /** The refusal says the group is changing hands (KafkaSession.membershipChanging): work started now could not be committed. */
  membershipChanging(code: number | undefined): boolean;
}

export interface CommitSettings {
  /** Floor between two commits (ms): COMMIT_INTERVAL_MS. */
  readonly commitIntervalMs: number;
  /** How long a rebalance hold may last without a rebalance (ms): the group's session timeout. */
  readonly sessionTimeoutMs: number;
}

/** How long a commit may wait for the broker's answer before it is treated as failed and retried. */
const COMMIT_ANSWER_TIMEOUT_MS = 30_000;
/** Done records whose commit is unconfirmed beyond which a slow commit answer holds deliveries (see COMMIT_STALL_MIN_MS). */
const COMMIT_STALL_RECORDS = 2000;
/**
 * Done records whose commit the broker has not confirmed for this long (or three commit
 * intervals, if longer), or more than COMMIT_STALL_RECORDS of them while a commit has waited
 * COMMIT_SLOW_MS for its answer, hold new deliveries until a commit is confirmed. A coordinator
 * that died or froze confirms no commit for ~10 s (broker.session.timeout.ms, then election),
 * and everything delivered meanwhile is delivered again after the rejoin: ~3000 of 8000 records
 * on a three-node cluster before this hold. The answer's age keeps a fast subscription whose
 * commits are merely slower than 2000 records (46k/s with 25 ms commits) from holding.
 */
const COMMIT_STALL_MIN_MS = 2000;
const COMMIT_SLOW_MS = 250;
/** A hold that lasts this long is reported as a problem of the subscription (alerts, status). */
export const COMMIT_STALL_REPORT_MS = 30_000;
/** Failed commits repeat on every retry during an outage: one line per window per message. */
const COMMIT_ERROR_LOG_WINDOW_MS = 30_000;

/**
 * Commits done offsets and decides when new deliveries must wait for commits (the checkpoint
 * manager of uForwarder's and Knative's designs). Offsets count as committed only on the
 * broker's answer (offset_commit_cb), so a failed commit is sent again. Two holds stop new
 * deliveries, while records in flight finish: a rebalance hold, when the broker refuses a
 * commit because the group is changing hands (what is done meanwhile could not be committed,
 * and its next owner would deliver it again), and a commit stall, when done records wait too
 * long for a confirmed commit (a coordinator outage).
 */
export class CommitManager {
  private readonly batcher: CommitBatcher;
  private readonly receipts = new CommitReceipts();
  private readonly errors = new RepeatSuppressor(COMMIT_ERROR_LOG_WINDOW_MS);
  /** Set while the broker refuses commits because the group is rebalancing; ends at the next rebalance or after the session timeout. */
  private holdTimer: NodeJS.Timeout | null = null;
  /** When the first record done since the last confirmed commit became done (ms), or 0. */
  private uncommittedSince = 0;
  /** Records done since the last confirmed commit (about: a commit covers what was done when it was sent). */
  private unconfirmed = 0;
  /** When the commit now waiting for its answer was sent (ms), or 0. */
  private commitSentAt = 0;
  private lastDoneAt = 0;
  private stalled = false;
  private stalledSince = 0;
  private stallReported = false;

  constructor(
    private readonly host: CommitHost,
    private readonly settings: CommitSettings,
  ) {
    this.batcher = new CommitBatcher(
      () => this.flush(),
      () => this.host.doneOffsets().length > 0,
      settings.commitIntervalMs,
    );
  }

  /** A record became done. */
  noteDone(): void {
    this.lastDoneAt = Date.now();
    this.unconfirmed++;
    if (this.uncommittedSince === 0) this.uncommittedSince = this.lastDoneAt;
    this.batcher.noteDone();
  }

  /** A fetch returned nothing: commit soon if something is committable anyway (markers stepped over, a failed commit). */
  noteIdle(): void {
    this.batcher.noteIdle();
  }

  /** Commits now (or joins the commit in progress). */
  commitNow(): Promise<void> {
    return this.batcher.commitNow();
  }

  /** New deliveries must wait: a rebalance hold, or a commit stall (which this call may start). */
  held(): boolean {
    return this.holdTimer !== null || this.commitStalled();
  }

  /** A hold or stall is on: the fetch loop polls often to serve the answer or rebalance that ends it. */
  get holding(): boolean {
    return this.holdTimer !== null || this.stalled;
  }

  /** A rebalance arrived: the rebalance hold ends. */
  releaseHold(): void {
    if (!this.holdTimer) return;
    clearTimeout(this.holdTimer);
    this.holdTimer = null;
    // Called from inside consume() too (rebalance callback): dispatch after it returns.
    setImmediate(() => this.host.dispatch());
  }

  /** offset_commit_cb: the broker's answer. One nobody waits for (a stop's final commit, or one after its timeout) still counts. */
  onAnswer(err: CommitError | null | undefined, offsets: CommittedOffset[]): void {
    if (this.receipts.settle(err, offsets)) return;
    if (err) this.failed(err.message, err.code, offsets);
    else {
      this.host.confirmed(offsets);
      if (this.host.doneOffsets().length === 0) this.commitConfirmed(Date.now(), this.unconfirmed);
    }
  }

  /** The consumer stopped fetching: no answer will be served any more (close confirms the final commit), and no hold applies. */
  quiesce(): void {
    this.receipts.abandon('the consumer is stopping');
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = null;
  }

  /** Stops the timer, waits for a commit in progress, and sends the final commit. */
  async close(): Promise<void> {
    await this.batcher.stop();
    await this.batcher.commitNow();
  }

  /**
   * Commits what is done and, while running, waits for the broker's answer: only a success
   * moves `committed`, so a failed commit is sent again. During a stop nobody polls for the
   * answer; closing the client waits for the commit instead.
   */
  private async flush(): Promise<void> {
    const offsets = this.host.doneOffsets();
    if (offsets.length === 0) return;
    const sentAt = Date.now();
    const covered = this.unconfirmed;
    const confirm = this.host.running();
    if (confirm) this.commitSentAt = sentAt;
    const answer = confirm ? this.receipts.expect(offsets, COMMIT_ANSWER_TIMEOUT_MS) : null;
    this.host.commitSent();
    const queued = await this.host.send(offsets);
    if (queued) {
      if (!answer || !this.receipts.settle(queued, offsets)) this.failed(queued.message, queued.code, offsets);
    }
    if (!answer) return;
    const outcome = await answer;
    this.commitSentAt = 0;
    if (outcome.ok) {
      this.host.confirmed(offsets);
      this.commitConfirmed(sentAt, covered);
      this.releaseHold();
    } else if (this.host.running()) this.failed(outcome.error, outcome.code, offsets);
  }

  /** A commit sent at `sentAt`, when `covered` records were unconfirmed, was confirmed. */
  private commitConfirmed(sentAt: number, covered: number): void {
    this.uncommittedSince = this.lastDoneAt >= sentAt ? sentAt : 0;
    this.unconfirmed = Math.max(0, this.unconfirmed - covered);
    if (!this.stalled) return;
    this.stalled = false;
    this.host.log('info', 'commits are confirmed again: delivering', { heldMs: Date.now() - this.stalledSince });
    setImmediate(() => this.host.dispatch());
  }

  /**
   * True while done records have waited too long for a confirmed commit (see
   * COMMIT_STALL_MIN_MS): new deliveries wait, so a rejoin after a coordinator outage repeats
   * only what was delivered before the stall, not everything since. Records in flight finish.
   */
  private commitStalled(): boolean {
    if (this.uncommittedSince === 0) return false;
    const now = Date.now();
    const waited = now - this.uncommittedSince;
    const slowAnswer = this.commitSentAt !== 0 && now - this.commitSentAt >= COMMIT_SLOW_MS;
    if (waited < Math.max(COMMIT_STALL_MIN_MS, 3 * this.settings.commitIntervalMs) && !(slowAnswer && this.unconfirmed > COMMIT_STALL_RECORDS)) {
      return false;
    }
    // Done records of revoked partitions are dropped, not committed: only pending ones count.
    if (this.host.doneOffsets().length === 0) {
      this.uncommittedSince = 0;
      this.unconfirmed = 0;
      this.stalled = false;
      return false;
    }
    if (this.stalled) {
      if (!this.stallReported && now - this.stalledSince >= COMMIT_STALL_REPORT_MS) {
        this.stallReported = true;
        this.host.reportProblem(`no offset commit confirmed for ${Math.round((now - this.stalledSince) / 1000)} s: new deliveries are held until one is`);
      }
      return true;
    }
    this.stalled = true;
    this.stalledSince = now;
    this.stallReported = false;
    this.host.log('warn', 'no commit confirmed for a while: holding new deliveries until one is', { waitedMs: waited, unconfirmed: this.unconfirmed });
    // A commit must keep going out while nothing becomes done, and the fetch loop must come
    // round soon (it may be parked on the 5 s idle poll) to serve the answer.
    this.batcher.noteIdle();
    this.host.wakeFetch();
    return true;
  }

  private failed(err: string, code: number | undefined, offsets: readonly CommittedOffset[]): void {
    this.host.commitFailed();
    this.batcher.failed();
    const repeated = this.errors.admit(`commit: ${err}`);
    if (repeated !== null) {
      this.host.log('warn', 'offset commit failed; will retry', {
        err,
        code,
        offsets: offsets.map((o) => `${o.partition}:${o.offset}`),
        ...(repeated ? { repeated } : {}),
      });
    }
    if (this.host.membershipChanging(code) && this.host.running() && !this.holdTimer) {
      this.host.log('info', 'group is rebalancing: holding new deliveries until partitions are assigned again', {});
      // A rebalance that never reaches this member must not hold it forever.
      this.holdTimer = setTimeout(() => this.releaseHold(), this.settings.sessionTimeoutMs);
      // The fetch loop may be parked on the 5 s idle poll; the rebalance is served inside consume().
      this.host.wakeFetch();
    }
  }
}
