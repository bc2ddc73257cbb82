/**
 * When to commit: `intervalMs` after the first record done since the last commit, or as soon as
 * `batch` records are done, whichever comes first; a commit in progress is joined rather than
 * doubled. No timer runs while nothing waits to be committed, so an idle consumer costs no
 * wake-ups. The flush itself (what to commit, and to whom) belongs to the consumer.
 */
export class CommitBatcher {
  private done = 0;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  /** hasPending: whether something done is still uncommitted (a failed commit is tried again). */
  constructor(
    private readonly flush: () => Promise<void>,
    private readonly hasPending: () => boolean,
    private readonly batch: number,
    private readonly intervalMs: number,
  ) {}

  /** A record became done. */
  noteDone(): void {
    if (++this.done >= this.batch) void this.commitNow();
    else this.arm();
  }

  /**
   * Nothing new arrived: commit within the interval if something is still committable without a
   * record becoming done (the client stepped over transaction markers, or a commit failed).
   */
  noteIdle(): void {
    if (!this.running && this.hasPending()) this.arm();
  }

  commitNow(): Promise<void> {
    if (this.running) return this.running;
    this.done = 0;
    this.disarm();
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
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.commitNow();
    }, this.intervalMs);
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
