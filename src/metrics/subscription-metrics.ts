import { DurationBuckets } from './duration-buckets';

export interface SubscriptionCounters {
  consumed: number;
  delivered: number;
  filtered: number;
  retried: number;
  deadLettered: number;
  /** Offset commits sent to the group coordinator. */
  commits: number;
  /** Offset commits the broker refused or never answered (each is retried). */
  commitFailures: number;
  /** Records the consumer stepped over because the broker no longer had them (retention, DeleteRecords). */
  skipped: number;
  /** Times a partition's offsets went back (topic recreated, log truncated) and it started again at its log start. */
  offsetsWentBack: number;
}

/**
 * One subscription's figures as plain numbers: the hot path only adds. The Prometheus
 * families read them at scrape time (MetricsService), so no label lookup happens per record.
 */
/** Every counter at 0: a new subscription's, and the sum's starting point. */
export function zeroCounters(): SubscriptionCounters {
  return { consumed: 0, delivered: 0, filtered: 0, retried: 0, deadLettered: 0, commits: 0, commitFailures: 0, skipped: 0, offsetsWentBack: 0 };
}

export class SubscriptionMetrics {
  readonly counters: SubscriptionCounters = zeroCounters();
  readonly deadLetteredByReason = new Map<string, number>();
  /** Seconds deliveries waited for the rate limiter. */
  rateWaitSeconds = 0;
  readonly success = new DurationBuckets();
  readonly failure = new DurationBuckets();

  constructor(readonly subscription: string) {}

  consumed(): void {
    this.counters.consumed++;
  }
  filtered(): void {
    this.counters.filtered++;
  }
  delivered(n = 1): void {
    this.counters.delivered += n;
  }
  retried(): void {
    this.counters.retried++;
  }
  deadLettered(reason: string): void {
    this.counters.deadLettered++;
    this.deadLetteredByReason.set(reason, (this.deadLetteredByReason.get(reason) ?? 0) + 1);
  }
  rateWaited(seconds: number): void {
    this.rateWaitSeconds += seconds;
  }
  recordsSkipped(n: number): void {
    this.counters.skipped += n;
  }
  wentBack(): void {
    this.counters.offsetsWentBack++;
  }
  commitSent(): void {
    this.counters.commits++;
  }
  commitFailed(): void {
    this.counters.commitFailures++;
  }
  attempt(seconds: number, ok: boolean): void {
    (ok ? this.success : this.failure).observe(seconds);
  }
}
