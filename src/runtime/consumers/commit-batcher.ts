/**
 * When to commit: every `intervalMs`, or as soon as `batch` records are done since the last
 * commit, whichever comes first; a commit in progress is joined rather than doubled. The flush
 * itself (what to commit, and to whom) belongs to the consumer.
 */
export class CommitBatcher {
  private done = 0;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly flush: () => Promise<void>,
    private readonly batch: number,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.commitNow(), this.intervalMs);
  }

  /** A record became done. */
  noteDone(): void {
    if (++this.done >= this.batch) void this.commitNow();
  }

  commitNow(): Promise<void> {
    if (this.running) return this.running;
    this.done = 0;
    this.running = this.flush().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Stops the timer and waits for a commit in progress; the caller makes the final flush. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.running) await this.running;
  }
}
