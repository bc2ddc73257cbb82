import Bottleneck from 'bottleneck';

const UNLIMITED = Promise.resolve();
const noop = () => undefined;

/**
 * Per-subscription admission at ratePerSec (0 = unlimited). Low rates are spaced evenly;
 * higher rates refill a reservoir every 100 ms so timer granularity does not cap them.
 */
export class RateGate {
  private limiter: Bottleneck | null = null;
  private rate = 0;

  constructor(ratePerSec: number) {
    this.setRate(ratePerSec);
  }

  get ratePerSec(): number {
    return this.rate;
  }

  acquire(): Promise<void> {
    return this.limiter ? this.limiter.schedule(() => UNLIMITED) : UNLIMITED;
  }

  setRate(ratePerSec: number): void {
    if (ratePerSec === this.rate) return;
    this.rate = ratePerSec;
    if (ratePerSec <= 0) {
      this.close();
      return;
    }
    const settings: Bottleneck.ConstructorOptions =
      ratePerSec <= 100
        ? { minTime: 1000 / ratePerSec, reservoir: null, maxConcurrent: null }
        : {
            minTime: 0,
            reservoir: Math.max(1, Math.round(ratePerSec / 10)),
            reservoirRefreshAmount: Math.max(1, Math.round(ratePerSec / 10)),
            reservoirRefreshInterval: 100,
            maxConcurrent: null,
          };
    if (this.limiter) void this.limiter.updateSettings(settings);
    else this.limiter = new Bottleneck(settings);
  }

  /** Waiting callers are released with a rejection; used when a consumer stops. */
  close(): void {
    const limiter = this.limiter;
    this.limiter = null;
    if (limiter) limiter.stop({ dropWaitingJobs: true }).catch(noop);
  }
}
