import type { Message } from '@confluentinc/kafka-javascript';
import { OffsetTracker } from './offset-tracker';

/** What one consumer holds for one assigned partition. Dropped (revoked) states are never committed. */
export class PartitionState {
  readonly tracker = new OffsetTracker();
  private queue: Message[] = [];
  private head = 0;
  inFlight = 0;
  paused = false;
  committed = -1;
  revoked = false;
  private readonly abort = new AbortController();

  constructor(
    readonly partition: number,
    private previous?: PartitionState,
  ) {}

  /** Aborted on revoke and on stop: retries and waits of this partition's records give up. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  get waitingForPrevious(): boolean {
    if (this.previous && this.previous.inFlight === 0) this.previous = undefined;
    return this.previous !== undefined;
  }

  revoke(): void {
    this.revoked = true;
    this.clearQueue();
    this.abort.abort();
  }

  get queued(): number {
    return this.queue.length - this.head;
  }

  push(msg: Message): void {
    this.tracker.track(msg.offset);
    this.queue.push(msg);
  }

  /** Puts a record back at the head, after a failure that must not lose it. */
  unshift(msg: Message): void {
    if (this.head > 0) this.queue[--this.head] = msg;
    else this.queue.unshift(msg);
  }

  shift(): Message | undefined {
    if (this.head >= this.queue.length) return undefined;
    const msg = this.queue[this.head];
    this.queue[this.head++] = undefined as unknown as Message;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    }
    return msg;
  }

  /** Forget queued records on stop; they are not done, so no commit passes them. */
  clearQueue(): void {
    this.queue = [];
    this.head = 0;
  }
}
