import type { Counter, Histogram } from 'prom-client';

export interface SubscriptionCounters {
  consumed: number;
  delivered: number;
  filtered: number;
  retried: number;
  deadLettered: number;
}

interface Families {
  consumed: Counter<string>;
  filtered: Counter<string>;
  delivered: Counter<string>;
  retried: Counter<string>;
  deadLettered: Counter<string>;
  duration: Histogram<string>;
}

/** Per-subscription metric handles resolved once, so the hot path only increments. */
export class SubscriptionMetrics {
  readonly counters: SubscriptionCounters = { consumed: 0, delivered: 0, filtered: 0, retried: 0, deadLettered: 0 };
  private readonly consumedChild;
  private readonly filteredChild;
  private readonly deliveredChild;
  private readonly retriedChild;
  private readonly successTimer;
  private readonly failureTimer;

  constructor(
    private readonly families: Families,
    private readonly subscription: string,
  ) {
    this.consumedChild = families.consumed.labels(subscription);
    this.filteredChild = families.filtered.labels(subscription);
    this.deliveredChild = families.delivered.labels(subscription);
    this.retriedChild = families.retried.labels(subscription);
    this.successTimer = families.duration.labels(subscription, 'success');
    this.failureTimer = families.duration.labels(subscription, 'failure');
  }

  consumed(): void {
    this.counters.consumed++;
    this.consumedChild.inc();
  }
  filtered(): void {
    this.counters.filtered++;
    this.filteredChild.inc();
  }
  delivered(): void {
    this.counters.delivered++;
    this.deliveredChild.inc();
  }
  retried(): void {
    this.counters.retried++;
    this.retriedChild.inc();
  }
  deadLettered(reason: string): void {
    this.counters.deadLettered++;
    this.families.deadLettered.labels(this.subscription, reason).inc();
  }
  attempt(seconds: number, ok: boolean): void {
    (ok ? this.successTimer : this.failureTimer).observe(seconds);
  }
}
