import Bottleneck from 'bottleneck';

const UNLIMITED = Promise.resolve();
const noop = () => undefined;

interface Waiter {
  readonly n: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * Per-subscription admission at ratePerSec (0 = unlimited). Bottleneck is the rate authority,
 * but one Bottleneck job costs about 3 ms of scheduling (measured: ~300 jobs/s per limiter even
 * unlimited), so permits are taken from it in weighted chunks of ~1/20 s worth and handed out
 * locally; the per-record cost is then a counter decrement.
 */
export class RateGate {
  private limiter: Bottleneck | null = null;
  private rate = 0;
  /** Permits taken from Bottleneck per job (weight). */
  private chunk = 1;
  private permits = 0;
  private refilling = false;
  private waiters: Waiter[] = [];
  private closed = false;

  constructor(ratePerSec: number) {
    this.setRate(ratePerSec);
  }

  /** Resolves when `n` permits (one per record) are granted; rejects when `signal` aborts or the gate closes. */
  acquire(signal?: AbortSignal, n = 1): Promise<void> {
    if (this.closed) return Promise.reject(new Error('rate gate closed'));
    if (!this.limiter) return UNLIMITED;
    if (this.permits >= n && this.waiters.length === 0) {
      this.permits -= n;
      return UNLIMITED;
    }
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(new Error('aborted'));
      const waiter: Waiter = { n, resolve, reject };
      if (signal) {
        const onAbort = () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          // Permits gathered for a large cancelled waiter must not let the next callers burst.
          if (this.waiters.length === 0) this.permits = Math.min(this.permits, this.chunk);
          else this.release();
          reject(new Error('aborted'));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        waiter.resolve = () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
      }
      this.waiters.push(waiter);
      this.refill();
    });
  }

  setRate(ratePerSec: number): void {
    if (ratePerSec === this.rate) return;
    this.rate = ratePerSec;
    const previous = this.limiter;
    this.limiter = null;
    this.permits = 0;
    this.refilling = false;
    if (previous) retire(previous);
    if (ratePerSec > 0) {
      this.limiter = new Bottleneck(limiterSettings(ratePerSec));
      this.chunk = ratePerSec <= SPACED_UP_TO ? 1 : Math.max(1, Math.floor(refillAmount(ratePerSec) / 2));
      if (this.waiters.length) this.refill();
    } else {
      // Lifted: whoever waits goes through at once.
      this.release(true);
    }
  }

  /** Waiting and later callers are rejected; used when nobody holds the gate any more. */
  close(): void {
    this.closed = true;
    const previous = this.limiter;
    this.limiter = null;
    this.rate = 0;
    if (previous) retire(previous);
    const waiters = this.waiters;
    this.waiters = [];
    const err = new Error('rate gate closed');
    for (const w of waiters) w.reject(err);
  }

  private refill(): void {
    const limiter = this.limiter;
    if (this.refilling || !limiter) return;
    this.refilling = true;
    const weight = this.chunk;
    limiter
      .schedule({ weight }, () => UNLIMITED)
      .then(() => {
        if (limiter !== this.limiter) return;
        this.refilling = false;
        this.permits += weight;
        this.release();
        if (this.waiters.length) this.refill();
      }, noop);
  }

  /** Waiters go in arrival order, each once the permits cover its whole weight. */
  private release(all = false): void {
    let i = 0;
    for (; i < this.waiters.length; i++) {
      const w = this.waiters[i];
      if (!all) {
        if (this.permits < w.n) break;
        this.permits -= w.n;
      }
    }
    for (const w of this.waiters.splice(0, i)) w.resolve();
  }
}

const SPACED_UP_TO = 20;
const HEARTBEAT_MS = 10;

function refillAmount(ratePerSec: number): number {
  return Math.max(1, Math.round(ratePerSec / 10));
}

/**
 * Low rates are spaced evenly (minTime). Higher ones refill a reservoir about every 100 ms with
 * an interval derived from the exact rate; Bottleneck refills on its heartbeat, on average half a
 * beat late, so the interval is shortened by that much to keep the long-run rate exact.
 */
function limiterSettings(ratePerSec: number): Bottleneck.ConstructorOptions {
  if (ratePerSec <= SPACED_UP_TO) return { minTime: 1000 / ratePerSec, maxConcurrent: null };
  const amount = refillAmount(ratePerSec);
  return {
    maxConcurrent: null,
    reservoir: amount,
    reservoirRefreshAmount: amount,
    reservoirRefreshInterval: Math.max(HEARTBEAT_MS, (1000 * amount) / ratePerSec - HEARTBEAT_MS / 2),
    heartbeatInterval: HEARTBEAT_MS,
  };
}

function retire(limiter: Bottleneck): void {
  limiter
    .stop({ dropWaitingJobs: true })
    .catch(noop)
    .finally(() => void limiter.disconnect().catch(noop));
}
