import type { MetricValueWithName } from 'prom-client';
import { DURATION_BUCKETS_SECONDS, type DurationBuckets } from './duration-buckets';

export interface DurationSeries {
  readonly labels: Record<string, string>;
  readonly buckets: DurationBuckets;
}

/** A Prometheus histogram rendered from DurationBuckets at scrape time, registered like any metric. */
export class DurationHistogram {
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly series: () => Iterable<DurationSeries>,
  ) {}

  get(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: Array<MetricValueWithName<string>> }> {
    const values: Array<MetricValueWithName<string>> = [];
    for (const { labels, buckets } of this.series()) {
      let cumulative = 0;
      for (let i = 0; i <= DURATION_BUCKETS_SECONDS.length; i++) {
        cumulative += buckets.counts[i];
        const le = i < DURATION_BUCKETS_SECONDS.length ? String(DURATION_BUCKETS_SECONDS[i]) : '+Inf';
        values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le }, value: cumulative });
      }
      values.push({ metricName: `${this.name}_sum`, labels, value: buckets.sum });
      values.push({ metricName: `${this.name}_count`, labels, value: buckets.count });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }

  /** Series belong to their subscriptions; a registry reset has nothing of its own to clear. */
  reset(): void {}
}
