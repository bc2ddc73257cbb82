/**
 * When to commit: continuously, one commit outstanding at a time. The first record done while
 * no commit is out is committed at once (on the next turn of the event loop, so records done
 * together share the commit); records done while a commit waits for its answer go in the next
 * one, sent when that answer arrives, but never sooner than `floorMs` after the previous one
 * was sent, so a busy consumer sends at most 1000 / floorMs commits a second. A crash then
 * repeats the records in flight plus about one commit round trip of done ones (issue 14).
 * No timer runs while nothing waits to be committed, so an idle consumer costs no wake-ups.
 * The flush itself (what to commit, and to whom) belongs to the consumer.
 */
export class CommitBatcher {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  /** When the last commit was sent (performance.now() ms), or -Infinity. */
  private lastSent = Number.NEGATIVE_INFINITY;
  /** No commit before this (performance.now() ms): set after a failed one. */
  private notBefore = Number.NEGATIVE_INFINITY;

  /** hasPending: whether something done is still uncommitted (a failed commit is tried again). */
  constructor(
    private readonly flush: () => Promise<void>,
    private readonly hasPending: () => boolean,
    private readonly floorMs: number,
  ) {}

  /** A record became done. */
  noteDone(): void {
    if (!this.running) this.arm();
  }

  /**
   * Nothing new arrived: commit soon if something is still committable without a record
   * becoming done (the client stepped over transaction markers, or a commit failed).
   */
  noteIdle(): void {
    if (!this.running && this.hasPending()) this.arm();
  }

  /**
   * A commit failed (refused, unanswered): the next waits at least `backoffMs`, so a refusing
   * coordinator gets one retry a second, not one per floor interval.
   */
  failed(backoffMs = 1000): void {
    this.notBefore = performance.now() + backoffMs;
    if (this.timer) {
      this.disarm();
      this.arm();
    }
  }

  commitNow(): Promise<void> {
    if (this.running) return this.running;
    this.disarm();
    this.lastSent = performance.now();
    this.running = this.flush().finally(() => {
      this.running = null;
      if (this.hasPending()) this.arm();
    });
    return this.running;
  }

  /** Stops the timer and waits for a commit in progress; the caller makes the final flush. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.disarm();
    if (this.running) await this.running;
    this.disarm();
  }

  private arm(): void {
    if (this.timer || this.stopped) return;
    const wait = Math.max(0, this.lastSent + this.floorMs - performance.now(), this.notBefore - performance.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.commitNow();
    }, wait);
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
