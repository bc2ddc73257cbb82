import type { Message } from '@confluentinc/kafka-javascript';
import type { DeliveryPolicySpec, OrderingMode } from '../../model/delivery-spec';
import { LaneScheduler } from './lane-scheduler';
import type { PartitionLedger } from './partition-ledger';
import type { PartitionState } from './partition-state';
import type { ProcessResult, RecordSink } from './record-sink';

/** What the dispatcher asks of the consumer that owns it. */
export interface DispatchHost {
  /** The delivery policy in force now (batch size and wait change live). */
  policy(): DeliveryPolicySpec;
  /** Deliveries allowed at once now (the adaptive in-flight limit, at most delivery.maxInFlight). */
  limit(): number;
  /** The consumer is running (not stopping): records given up while running are tried again. */
  running(): boolean;
  /** Nothing may be dispatched, not even by a drain (parked keys not read yet). */
  blocked(): boolean;
  /** New deliveries wait (a rebalance hold, a commit stall); a stop's drain goes on regardless. */
  held(): boolean;
  /** A record left flight; `counted`: it was done and counts toward the commit. */
  released(st: PartitionState, counted: boolean): void;
  /** Fewer records are ready than the dispatcher would like: fetch more if the loop waits. */
  wantRecords(runnable: number): void;
  /** An exception of kproxy's own on a delivery unit, as a structured log entry. */
  logUnexpected(what: string, fields: { partition: number; offset: number; records?: number; err: string; failures?: number }): void;
}

/**
 * One delivery: 1 to N records (N = delivery.batchSize when batching), with the partition state
 * of each. A unit keeps its records through retries; members whose partition moved leave it.
 */
interface DeliveryUnit {
  readonly msgs: Message[];
  readonly states: PartitionState[];
  /** Sent as a JSON array (a batch), or as the one record's own body. */
  readonly batch: boolean;
  /** Exceptions of kproxy's own in a row on this unit. */
  failures: number;
}

/** Exceptions kproxy may throw on one unit in a row before its records are dead-lettered as internal_error. */
const UNEXPECTED_FAILURE_LIMIT = 3;
/** Delay before a unit kproxy failed on goes again, per failure in a row (ms). */
const RETRY_STEP_MS = 1000;

/**
 * Runs delivery units under the ordering mode and the in-flight limit: takes records from the
 * lanes (LaneScheduler), groups them into units (a partial batch lingers up to
 * delivery.batchWaitMs), sends each to the RecordSink, and settles its records in the
 * PartitionLedger. One path for single records and batches, one retry-later path and one revoke
 * rule: a member whose partition was revoked leaves its unit undelivered and uncommitted; a
 * record given up while the consumer still runs and owns it goes again after a delay; after
 * UNEXPECTED_FAILURE_LIMIT exceptions in a row the unit's records are dead-lettered one by one,
 * so a bug cannot hold a partition forever. Pattern: Knative's dispatcher and uForwarder's
 * in-flight tracker, which keep dispatch apart from fetching and committing.
 */
export class RecordDispatcher {
  private readonly scheduler: LaneScheduler;
  /** Records taken from the lanes and not settled (sending, waiting in the open batch, retrying). */
  private inFlight = 0;
  /** Units running; bounded by the host's limit. */
  private active = 0;
  /** A partial batch waiting up to batchWaitMs for more records; its lanes are held. */
  private open: DeliveryUnit | null = null;
  private openSince = 0;
  private lingerTimer: NodeJS.Timeout | null = null;
  private lingerDue = 0;
  /** Stopping, but still finishing holes: records skipped while later ones of their partition ran. */
  private draining = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    ordering: OrderingMode,
    private readonly ledger: PartitionLedger,
    private readonly sink: RecordSink,
    private readonly host: DispatchHost,
  ) {
    this.scheduler = new LaneScheduler(ordering);
  }

  /** Records out of the lanes and not settled. */
  get recordsInFlight(): number {
    return this.inFlight;
  }

  /** Buffered records that could start now. */
  get runnable(): number {
    return this.scheduler.runnable;
  }

  /** A record the ledger admitted waits in its lane. */
  push(msg: Message): void {
    this.scheduler.push(msg);
  }

  /** Forgets a partition's buffered records (revoked, rewound); its records in flight settle later. */
  dropPartition(partition: number): void {
    this.scheduler.dropPartition(partition);
  }

  /** Starts as many units as the limit allows, unless blocked or held. */
  dispatch(): void {
    if (!this.host.running() && !this.draining) return;
    if (this.host.blocked()) return;
    if (this.host.held() && !this.draining) return;
    const policy = this.host.policy();
    const limit = this.host.limit();
    if (this.open && policy.batchSize <= 1) {
      // Batching was switched off live: the partial batch still goes out as the array it is.
      if (this.active >= limit) return;
      this.dispatchUnit(policy, this.open.msgs.length);
    }
    while (this.active < limit && this.dispatchUnit(policy, policy.batchSize)) {
      // one unit per turn
    }
  }

  /**
   * Fills a unit from the lanes: the same lane first (its order holds inside a batch), then,
   * except in partition mode, other lanes. Sends it when full, when batchWaitMs has passed, or
   * at once when batchWaitMs is 0. False when nothing was sent.
   */
  private dispatchUnit(policy: DeliveryPolicySpec, size: number): boolean {
    let unit = this.open;
    if (unit === null) {
      // Nothing is allocated until a record can go: most calls find every lane busy.
      let msg: Message | undefined;
      let st: PartitionState | undefined;
      do {
        msg = this.scheduler.next();
        if (!msg) return false;
        st = this.takeOut(msg);
      } while (!st);
      unit = { msgs: [msg], states: [st], batch: size > 1, failures: 0 };
    }
    const { msgs, states } = unit;
    if (msgs.length < size) {
      const sameLaneOnly = policy.ordering === 'partition';
      while (msgs.length < size) {
        const last = msgs.length > 0 ? msgs[msgs.length - 1] : undefined;
        let msg = last ? this.scheduler.nextInLane(last) : undefined;
        if (!msg && (!sameLaneOnly || !last)) msg = this.scheduler.next();
        if (!msg) break;
        const st = this.takeOut(msg);
        if (!st) continue;
        msgs.push(msg);
        states.push(st);
      }
      const wait = policy.batchWaitMs;
      if (msgs.length < size && wait > 0 && !this.draining) {
        if (!this.open) {
          this.open = unit;
          this.openSince = performance.now();
        }
        const left = wait - (performance.now() - this.openSince);
        // Waiting only makes sense when nothing else could go out meanwhile (in partition mode
        // another partition's records may be ready while this one's batch is short).
        if (left > 0 && this.scheduler.runnable === 0) {
          // Timers run on the event loop's cached millisecond clock and may fire a fraction early,
          // and batchWaitMs may have been lowered live: a timer due later than needed is replaced.
          const due = performance.now() + left;
          if (this.lingerTimer && this.lingerDue > due + 1) this.clearLinger();
          if (!this.lingerTimer) {
            this.lingerDue = due;
            this.lingerTimer = setTimeout(() => {
              this.lingerTimer = null;
              this.dispatch();
            }, Math.ceil(left));
          }
          return false;
        }
      }
    }
    if (this.open) {
      this.open = null;
      this.clearLinger();
    }
    this.active++;
    this.attempt(unit);
    return true;
  }

  /** A record the lanes gave out goes into flight, unless its partition is gone (then it settles). */
  private takeOut(msg: Message): PartitionState | undefined {
    const st = this.ledger.takeOut(msg);
    if (!st) {
      this.scheduler.settle(msg);
      return undefined;
    }
    this.inFlight++;
    return st;
  }

  private attempt(unit: DeliveryUnit): void {
    if (this.dropRevoked(unit)) return;
    const { msgs, states } = unit;
    const cancel = unit.batch ? unitCancel(states) : null;
    const signal = cancel ? cancel.signal : states[0].signal;
    const sent: Promise<ProcessResult | ProcessResult[]> = unit.batch ? this.sink.processBatch(msgs, signal) : this.sink.process(msgs[0], signal);
    sent.then(
      (results) => {
        cancel?.dispose();
        this.settle(unit, results);
      },
      (err: unknown) => {
        cancel?.dispose();
        this.later(unit, errorText(err));
      },
    );
  }

  /**
   * Releases members whose partition was revoked (not done: their new owner delivers them).
   * True when none is left, and then the unit is finished.
   */
  private dropRevoked(unit: DeliveryUnit): boolean {
    const { msgs, states } = unit;
    let kept = 0;
    for (let i = 0; i < msgs.length; i++) {
      if (states[i].revoked) this.release(states[i], msgs[i], false);
      else {
        msgs[kept] = msgs[i];
        states[kept++] = states[i];
      }
    }
    msgs.length = kept;
    states.length = kept;
    if (kept > 0) return false;
    this.finish();
    return true;
  }

  /** The sink answered: done and given-up records settle; records given up while still ours go again. */
  private settle(unit: DeliveryUnit, results: ProcessResult | readonly ProcessResult[]): void {
    const { msgs, states } = unit;
    const running = this.host.running();
    let kept = 0;
    for (let i = 0; i < msgs.length; i++) {
      const result = typeof results === 'string' ? results : results[i];
      if (result === 'abandoned' && running && !states[i].revoked) {
        msgs[kept] = msgs[i];
        states[kept++] = states[i];
      } else this.release(states[i], msgs[i], result === 'done');
    }
    msgs.length = kept;
    states.length = kept;
    if (kept > 0) this.later(unit, null);
    else this.finish();
  }

  /**
   * Tries a unit again after 1 s per exception in a row; its records keep their lanes and are
   * never skipped. `err` is an exception kproxy threw on it (null: given up while running,
   * e.g. the breaker opened): after UNEXPECTED_FAILURE_LIMIT in a row its records are
   * dead-lettered (internal_error) instead.
   */
  private later(unit: DeliveryUnit, err: string | null): void {
    if (err !== null) unit.failures++;
    const failures = err === null ? 0 : unit.failures;
    const last = failures >= UNEXPECTED_FAILURE_LIMIT;
    const what = unit.batch
      ? last
        ? 'unexpected error while processing a batch; dead-lettering its records'
        : 'unexpected error while processing a batch; its records will be tried again'
      : last
        ? 'unexpected error while processing; dead-lettering the record'
        : 'unexpected error while processing; the record will be tried again';
    const head = unit.msgs[0];
    this.host.logUnexpected(what, {
      partition: head.partition,
      offset: head.offset,
      ...(unit.batch ? { records: unit.msgs.length } : {}),
      err: err ?? 'abandoned while running',
      ...(failures > 0 ? { failures } : {}),
    });
    setTimeout(
      () => {
        if (!this.host.running()) this.giveUp(unit);
        else if (!last) this.attempt(unit);
        else {
          unit.failures = 0;
          this.deadLetter(unit, err!, failures);
        }
      },
      RETRY_STEP_MS * Math.max(1, failures),
    ).unref();
  }

  /**
   * Dead-letters a unit kproxy failed on, record by record: members whose partition moved are
   * dropped (their new owner delivers them), and a member whose row could not be written goes
   * round again with the others that failed, not with those already stored.
   */
  private deadLetter(unit: DeliveryUnit, err: string, failures: number): void {
    if (this.dropRevoked(unit)) return;
    const { msgs, states } = unit;
    // allSettled never rejects; what follows is the same bookkeeping as every other settle path.
    void Promise.allSettled(msgs.map((msg, i) => this.sink.deadLetterUnexpected(msg, states[i].signal, err, failures))).then((settled) => {
      let kept = 0;
      let reason: unknown;
      for (let i = 0; i < msgs.length; i++) {
        const r = settled[i];
        if (r.status === 'fulfilled') this.release(states[i], msgs[i], r.value === 'done');
        else {
          msgs[kept] = msgs[i];
          states[kept++] = states[i];
          reason ??= r.reason;
        }
      }
      msgs.length = kept;
      states.length = kept;
      if (kept > 0) this.later(unit, errorText(reason));
      else this.finish();
    });
  }

  /** Releases every record of a unit undone (the consumer stopped while it waited to go again). */
  private giveUp(unit: DeliveryUnit): void {
    for (let i = 0; i < unit.msgs.length; i++) this.release(unit.states[i], unit.msgs[i], false);
    this.finish();
  }

  /** A record leaves flight: its lane may go on; the ledger counts it toward the commit when done. */
  private release(st: PartitionState, msg: Message, done: boolean): void {
    this.inFlight--;
    this.scheduler.settle(msg);
    this.host.released(st, this.ledger.release(st, msg.offset, done));
  }

  /** A unit finished: the next may start. */
  private finish(): void {
    this.active--;
    this.dispatch();
    if (this.inFlight === 0) this.wakeIdle();
    this.host.wantRecords(this.scheduler.runnable);
  }

  /**
   * A stop's drain. Lanes may have started records past ones still buffered (key mode, a batch
   * in partition mode). Leaving those holes would hold the commit back and make the next owner
   * deliver the later ones twice, so the drain finishes them too (when `finishHoles`); records
   * past everything started are dropped. Waits up to `timeoutMs` for every record in flight;
   * then a partial batch never sent is released undone and the lanes are emptied. True when
   * everything settled in time.
   */
  async drain(finishHoles: boolean, timeoutMs: number): Promise<boolean> {
    this.scheduler.retain((m) => this.ledger.isHole(m));
    this.draining = finishHoles;
    this.dispatch();
    const drained = await this.waitIdle(timeoutMs);
    this.draining = false;
    // Never sent (a partial batch left by a drain timeout): not done, delivered again after a restart.
    const open = this.open;
    this.open = null;
    this.clearLinger();
    if (open) for (let i = 0; i < open.msgs.length; i++) this.release(open.states[i], open.msgs[i], false);
    this.scheduler.clear();
    return drained;
  }

  /** Resolves true once no record is in flight, or with whether none is after `timeoutMs`. */
  waitIdle(timeoutMs: number): Promise<boolean> {
    if (this.inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(this.inFlight === 0), timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private clearLinger(): void {
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = null;
  }
}

/**
 * A batch is given up only when every member's partition is revoked (or the consumer stops,
 * which revokes all): one moved partition must not cancel a POST the endpoint may already have
 * processed, since a re-sent batch has different members and another idempotency key. Members
 * of a revoked partition are simply not marked done when the batch settles.
 */
function unitCancel(states: readonly PartitionState[]): { signal: AbortSignal; dispose(): void } {
  const signals: AbortSignal[] = [];
  for (const st of states) if (!signals.includes(st.signal)) signals.push(st.signal);
  if (signals.length === 1) return { signal: signals[0], dispose: () => undefined };
  const all = new AbortController();
  let remaining = signals.filter((s) => !s.aborted).length;
  const onAbort = () => {
    if (--remaining === 0) all.abort();
  };
  if (remaining === 0) all.abort();
  else for (const s of signals) if (!s.aborted) s.addEventListener('abort', onAbort, { once: true });
  return {
    signal: all.signal,
    dispose: () => {
      for (const s of signals) s.removeEventListener('abort', onAbort);
    },
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
