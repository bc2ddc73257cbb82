import { DomainErrorCode } from '../../common/errors/domain-error-code.enum';
import { DomainException } from '../../common/errors/domain.exception';

/**
 * At most `limit` tasks run at once; up to `maxQueue` more wait their turn in arrival order;
 * past that run() refuses at once. Guards work that holds scarce shared threads (librdkafka's
 * blocking calls on the libuv pool, which every consumer's fetch and commit also use).
 */
export class BoundedConcurrency {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  /** The most tasks that ever ran at once (for tests and metrics). */
  peakActive = 0;
  /** Tasks refused because the queue was full. */
  refused = 0;

  constructor(
    private readonly limit: number,
    private readonly maxQueue: number,
    /** What the refusal says is busy, e.g. "Kafka status queries". */
    private readonly what: string,
    /** Retry-After of a refusal, s. */
    private readonly retryAfterSeconds = 1,
  ) {}

  get running(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Runs `task` once a slot is free and resolves or rejects as it does.
   * @throws DomainException Busy (429 with Retry-After) when `limit` run and `maxQueue` wait
   */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) {
      if (this.waiting.length >= this.maxQueue) {
        this.refused++;
        throw new DomainException(
          DomainErrorCode.Busy,
          `too many ${this.what} at once: ${this.active} running and ${this.waiting.length} waiting, the most this instance allows; try again shortly`,
          { retryAfterSeconds: this.retryAfterSeconds },
        );
      }
      // The slot is handed over by the task that ends (active stays counted), so none overtakes.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active++;
    }
    this.peakActive = Math.max(this.peakActive, this.active);
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
