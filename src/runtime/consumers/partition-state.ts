import { setMaxListeners } from 'node:events';
import { OffsetTracker } from './offset-tracker';

/** What one consumer holds for one assigned partition. Dropped (revoked) states are never committed. */
export interface BufferBounds {
  /** Uncommitted records (buffered, in flight, done behind the head): bounds the offset tracker. */
  readonly window: number;
  /** Records held in memory and not yet started: bounds the messages this partition keeps. */
  readonly buffered: number;
}

export class PartitionState {
  readonly tracker = new OffsetTracker();
  inFlight = 0;
  /** Records of this partition waiting in the scheduler. */
  buffered = 0;
  /** Highest offset handed out for delivery; lower ones still buffered are holes a stop must fill. */
  maxStarted = -1;
  paused = false;
  /** The group's committed offset as far as this member knows (-1: none known). */
  committed = -1;
  /** Where this ownership started fetching (-1: unknown); the position lag counts from before anything is done. */
  start = -1;
  /** The offset the next record should have (-1: unknown); a record elsewhere means a gap or a rewind. */
  expected = -1;
  /**
   * Set on a state that replaced another after the partition's offsets went back: the old
   * state's next offset. Commit answers above this state's own records are the old state's.
   */
  rewoundFrom = -1;
  /** The topic id (KIP-516) this state started under, or null until learned. */
  topicId: string | null = null;
  /**
   * After a seek to a recreated topic's log start: records at or past this offset still come
   * from the old fetch position and are dropped until the first record of the seek arrives.
   */
  seekFloor = -1;
  revoked = false;
  private readonly abort = new AbortController();

  constructor(readonly partition: number) {
    // Every record in flight on this partition listens to it (request, rate gate, backoff).
    setMaxListeners(0, this.abort.signal);
  }

  /** Aborted on revoke and on stop: retries and waits of this partition's records give up. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Records tracked and not yet released by the done prefix: buffered, in flight, or done behind a stuck head. */
  get window(): number {
    return this.tracker.pending;
  }

  /**
   * Backpressure: true when the window or the buffer just reached its bound and the partition
   * must be paused. The window includes done records behind a stuck head, so memory stays bounded.
   */
  shouldPause(bounds: BufferBounds): boolean {
    if (this.paused || (this.window < bounds.window && this.buffered < bounds.buffered)) return false;
    this.paused = true;
    return true;
  }

  /** True when a paused partition has drained to half of both bounds and must be resumed. */
  shouldResume(bounds: BufferBounds): boolean {
    if (!this.paused || this.revoked || this.window > bounds.window / 2 || this.buffered > bounds.buffered / 2) return false;
    this.paused = false;
    return true;
  }

  revoke(): void {
    this.revoked = true;
    this.abort.abort();
  }

  /**
   * Replaced by a new state for the same partition (its offsets went back): nothing of this
   * state is committed any more, but records already in flight finish their delivery.
   */
  retire(): void {
    this.revoked = true;
  }
}
