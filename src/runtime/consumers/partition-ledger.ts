import type { Message } from '@confluentinc/kafka-javascript';
import type { DeliveryPolicySpec } from '../../model/delivery-spec';
import type { CommittedOffset } from './commit-receipts';
import { PartitionState, type BufferBounds } from './partition-state';
import type { PartitionStart } from './start-position-resolver';

/** The offsets a commit sends: the next offset to read per partition (Kafka's convention). */
export type CommitOffsets = Array<{ topic: string; partition: number; offset: number }>;

/** The client's fetch position of a partition, or undefined when it must not be used (see PartitionLedger.committable). */
export type PositionOf = (partition: number) => number | undefined;

/** Watermarks the client has cached for a partition (-1 each when none). */
export interface Watermarks {
  readonly low: number;
  readonly high: number;
}

/** What the ledger saw that the consumer logs, counts and acts on (the ledger itself does no I/O). */
export interface LedgerEvents {
  /** The log start passed `skipped` records this member had not read (retention while it lagged). */
  skipped(partition: number, fields: { offset: number; expectedOffset: number; logStart: number; skipped: number }): void;
  /**
   * The partition's offsets went back: `fresh` replaced `old` at `offset`. The consumer drops the
   * old state's buffered records, resumes the partition if it was paused and commits at once.
   */
  rewound(old: PartitionState, fresh: PartitionState, offset: number, fields: Record<string, unknown>): void;
}

/** Where a record goes: its partition's state, or nowhere (dropped: not ours, a copy, or the old topic's). */
export type Admission = PartitionState | undefined;

const MAX_WINDOW = 100_000;

/**
 * The consumer's account of its assigned partitions: one PartitionState per partition (bounds,
 * offsets tracked, done offsets, the group's committed offset), the states retired by a rewind
 * while their records finish, and the commit offsets that follow from them. Pure: no Kafka
 * client, no timers, no I/O; what needs the client is passed in (positions, watermarks).
 */
export class PartitionLedger {
  private readonly states = new Map<number, PartitionState>();
  /** States replaced after a partition's offsets went back: their records still in flight are stopped with the rest. */
  private readonly retired = new Set<PartitionState>();
  private bounds: BufferBounds;

  constructor(
    private readonly topic: string,
    policy: DeliveryPolicySpec,
    private readonly bufferSize: number,
    private readonly events: LedgerEvents,
  ) {
    this.bounds = PartitionLedger.bounds(policy, bufferSize);
  }

  /**
   * When a partition is paused. Pausing drops librdkafka's prefetch and costs a re-fetch, so
   * neither bound is below what the configured concurrency keeps in flight. Unstarted records
   * cost a message each and are bounded by PARTITION_BUFFER_SIZE; done records behind a stuck
   * head cost an offset each, so the window may be ten times larger.
   */
  static bounds(policy: DeliveryPolicySpec, buffer: number): BufferBounds {
    const inFlight = PartitionLedger.readyTarget(policy);
    return { buffered: Math.max(buffer, inFlight), window: Math.min(MAX_WINDOW, Math.max(10 * buffer, inFlight)) };
  }

  /** Records worth having ready: two rounds of the deliveries the policy allows at once. */
  static readyTarget(policy: DeliveryPolicySpec): number {
    return 2 * policy.maxInFlight * policy.batchSize;
  }

  /** New delivery settings (in-flight, batch size) move the bounds; takes effect at the next record. */
  configure(policy: DeliveryPolicySpec): void {
    this.bounds = PartitionLedger.bounds(policy, this.bufferSize);
  }

  get size(): number {
    return this.states.size;
  }

  get(partition: number): PartitionState | undefined {
    return this.states.get(partition);
  }

  values(): IterableIterator<PartitionState> {
    return this.states.values();
  }

  /** Owned partitions, ascending. */
  partitions(): number[] {
    return [...this.states.keys()].sort((a, b) => a - b);
  }

  /**
   * Takes a partition up at `start` (null: where librdkafka's committed offset puts it, because
   * the consumer stopped before the broker said). True when the start must be committed at once.
   */
  assign(partition: number, start: PartitionStart | undefined, topicId: string | null): boolean {
    const st = new PartitionState(partition);
    this.states.set(partition, st);
    st.topicId = topicId;
    if (!start) return false;
    st.start = start.offset;
    st.expected = start.offset;
    if (start.committed !== null && start.committed <= start.offset) st.committed = start.committed;
    if (!start.commit) return false;
    st.tracker.resumeAt(start.offset);
    return true;
  }

  /**
   * Gives partitions up (revoke): their states and any retired ones are revoked (their records
   * in flight are aborted and never committed). Returns those of them that were paused:
   * librdkafka keeps a pause across unassign/assign, so the caller resumes them.
   */
  revoke(partitions: readonly number[]): number[] {
    const paused: number[] = [];
    for (const partition of partitions) {
      const st = this.states.get(partition);
      if (!st) continue;
      if (st.paused) paused.push(partition);
      st.revoke();
      this.states.delete(partition);
      for (const old of this.retired) if (old.partition === partition) old.revoke();
    }
    return paused;
  }

  /** Revokes every state (a stop): records in flight give up, nothing more is committed for them. */
  revokeAll(): void {
    for (const st of this.states.values()) st.revoke();
    for (const st of this.retired) st.revoke();
    this.retired.clear();
  }

  clear(): void {
    this.states.clear();
  }

  /**
   * Admits a fetched record: tracks it and returns its state, or undefined to drop it (its
   * partition is not ours, it is a copy already held, or it is the old topic's after a seek).
   * A record not at the offset expected next is judged by `offsetJump`. `watermarks` is only
   * called then.
   */
  admit(msg: Message, watermarks: (partition: number) => Watermarks): Admission {
    let st = this.states.get(msg.partition);
    if (!st) return undefined;
    if (st.seekFloor >= 0) {
      if (msg.offset >= st.seekFloor) return undefined;
      st.seekFloor = -1;
    }
    if (msg.offset !== st.expected && st.expected >= 0) {
      st = this.offsetJump(st, msg, watermarks(msg.partition));
      if (!st) return undefined;
    }
    try {
      st.tracker.track(msg.offset);
    } catch {
      // A record we already hold (re-fetched after a resume): keep the first copy.
      return undefined;
    }
    st.expected = msg.offset + 1;
    // The window counts done records behind a stuck head too, so a head that never finishes
    // pauses its partition instead of letting the buffer grow.
    st.buffered++;
    return st;
  }

  /** True when the record just admitted filled its partition's window or buffer: the caller pauses it. */
  shouldPause(st: PartitionState): boolean {
    return st.shouldPause(this.bounds);
  }

  /**
   * A record that is not at the offset expected next. Ahead: a gap, which is normal (transaction
   * markers, compaction) unless the log start passed what this member had not read (retention
   * while it lagged, or a committed offset the broker no longer has: librdkafka then resets to
   * the log start): those records are reported as skipped. Behind: the partition's offsets went
   * back (the topic was recreated, the log truncated) when the record is below everything this
   * state has tracked or the log now ends before where it was: a fresh state takes over at the
   * record's offset; the old state's records in flight finish uncommitted. Otherwise it is a
   * record already held, kept once. Returns the state the record belongs to, or undefined.
   */
  private offsetJump(st: PartitionState, msg: Message, { low, high }: Watermarks): PartitionState | undefined {
    if (msg.offset > st.expected) {
      if (low > st.expected && msg.offset >= low) {
        this.events.skipped(msg.partition, { offset: msg.offset, expectedOffset: st.expected, logStart: low, skipped: low - st.expected });
      }
      return st;
    }
    const floor = st.tracker.nextCommit() ?? st.start;
    if (!(msg.offset < floor || (high >= 0 && high < st.expected))) return undefined;
    return this.rewind(st, msg.offset, { highWatermark: high });
  }

  /**
   * Replaces a partition's state whose offsets went back with a fresh one starting at `offset`,
   * to be committed at once; the old state's records in flight finish uncommitted, its buffered
   * ones are to be dropped by the caller (they are the old topic's). Reported through `rewound`.
   */
  rewind(st: PartitionState, offset: number, fields: Record<string, unknown>): PartitionState {
    st.retire();
    if (st.inFlight > 0) this.retired.add(st);
    const fresh = new PartitionState(st.partition);
    fresh.start = offset;
    fresh.expected = offset;
    fresh.rewoundFrom = st.expected;
    fresh.tracker.resumeAt(offset);
    this.states.set(st.partition, fresh);
    this.events.rewound(st, fresh, offset, fields);
    return fresh;
  }

  /** A record given out for delivery: its state, or undefined when its partition is gone (the caller settles it). */
  takeOut(msg: Message): PartitionState | undefined {
    const st = this.states.get(msg.partition);
    if (!st || st.revoked) return undefined;
    st.buffered--;
    if (msg.offset > st.maxStarted) st.maxStarted = msg.offset;
    st.inFlight++;
    return st;
  }

  /**
   * A record leaves flight; when `done` (and its state still ours) it counts toward the commit.
   * Returns true when it was counted done.
   */
  release(st: PartitionState, offset: number, done: boolean): boolean {
    st.inFlight--;
    if (st.inFlight === 0 && this.retired.size > 0) this.retired.delete(st);
    if (!done || st.revoked) return false;
    st.tracker.markDone(offset);
    return true;
  }

  /** True when a paused partition drained to half of both bounds and must be resumed. */
  shouldResume(st: PartitionState): boolean {
    return st.shouldResume(this.bounds);
  }

  /** Whether a buffered record fills a hole of a stop's drain: below something already started on its live partition. */
  isHole(msg: Message): boolean {
    const st = this.states.get(msg.partition);
    return !!st && !st.revoked && msg.offset < st.maxStarted;
  }

  /** Offsets to commit (of `only` partitions, if given): each partition's committable offset past what is committed. */
  doneOffsets(position: PositionOf, only?: readonly number[]): CommitOffsets {
    const out: CommitOffsets = [];
    for (const st of this.states.values()) {
      if (only && !only.includes(st.partition)) continue;
      const next = this.committable(st, position);
      if (next !== undefined && next > st.committed) out.push({ topic: this.topic, partition: st.partition, offset: next });
    }
    return out;
  }

  /**
   * The offset to commit for a partition: after its done prefix, or, once every record it
   * returned is done, the client's position, which also steps over what the client consumed
   * but never returns: transaction markers and, under read_committed, aborted records. Without
   * that a partition ending in a commit marker would show a lag of 1 forever. `position` returns
   * undefined while a consume() is out or its records are not yet tracked: the position then
   * already counts records this consumer has not seen (a revoke served between the two would
   * commit past them).
   */
  committable(st: PartitionState, position: PositionOf): number | undefined {
    const next = st.tracker.nextCommit();
    if (st.tracker.pending > 0) return next;
    const at = position(st.partition);
    return at !== undefined && at > (next ?? st.committed) ? at : next;
  }

  /** The broker confirmed these offsets. An answer for the state a rewind replaced names offsets this state has not reached. */
  markCommitted(offsets: readonly CommittedOffset[]): void {
    for (const o of offsets) {
      const st = this.states.get(o.partition);
      if (st && o.offset > st.committed && !(st.rewoundFrom >= 0 && o.offset > st.expected)) st.committed = o.offset;
    }
  }

  /** Lag per owned partition against `highWatermark` (undefined: unknown), counted from what is done, or from where this ownership started. */
  lag(position: PositionOf, highWatermark: (partition: number) => number | undefined): Array<{ partition: number; lag: number }> {
    const out: Array<{ partition: number; lag: number }> = [];
    for (const st of this.states.values()) {
      // Before anything is done (a head record failing since the start), the lag counts from
      // where this ownership started, so a stuck partition shows its lag everywhere.
      const at = this.committable(st, position) ?? (st.committed >= 0 ? st.committed : st.start >= 0 ? st.start : undefined);
      if (at === undefined) continue;
      const high = highWatermark(st.partition);
      if (high !== undefined && high >= 0) out.push({ partition: st.partition, lag: Math.max(0, high - at) });
    }
    return out;
  }
}
