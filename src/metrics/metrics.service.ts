import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { SubscriptionCounters, SubscriptionMetrics } from './subscription-metrics';

export interface PartitionLag {
  subscription: number;
  partition: number;
  lag: number;
}

@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly families;
  private readonly perSubscription = new Map<number, SubscriptionMetrics>();
  private lagSource: () => PartitionLag[] = () => [];

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'kproxy_' });
    const counter = (name: string, help: string, labelNames = ['subscription']) =>
      new Counter({ name, help, labelNames, registers: [this.registry] });
    this.families = {
      consumed: counter('kproxy_messages_consumed_total', 'Records read from Kafka'),
      filtered: counter('kproxy_messages_filtered_total', 'Records skipped by the filter rules'),
      delivered: counter('kproxy_messages_delivered_total', 'Records the endpoint accepted'),
      retried: counter('kproxy_delivery_retries_total', 'Delivery attempts repeated after a failure'),
      deadLettered: counter('kproxy_messages_dead_lettered_total', 'Records written to the dead-letter store', [
        'subscription',
        'reason',
      ]),
      duration: new Histogram({
        name: 'kproxy_delivery_duration_seconds',
        help: 'Duration of one HTTP delivery attempt',
        labelNames: ['subscription', 'outcome'],
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
        registers: [this.registry],
      }),
    };
    const lagSource = () => this.lagSource();
    new Gauge({
      name: 'kproxy_consumer_lag',
      help: 'Records in a partition after the next offset this instance will commit (high watermark - position)',
      labelNames: ['subscription', 'partition'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const l of lagSource()) this.set({ subscription: String(l.subscription), partition: String(l.partition) }, l.lag);
      },
    });
  }

  /** Lag is read at scrape time from whoever runs the consumers (the supervisor). */
  setLagSource(source: () => PartitionLag[]): void {
    this.lagSource = source;
  }

  /** One handle per subscription id, kept across consumer restarts so counters accumulate. */
  forSubscription(id: number): SubscriptionMetrics {
    let m = this.perSubscription.get(id);
    if (!m) {
      m = new SubscriptionMetrics(this.families, String(id));
      this.perSubscription.set(id, m);
    }
    return m;
  }

  /** Counters of every subscription this process has handled, keyed by subscription id. */
  countersById(): Record<string, SubscriptionCounters> {
    const out: Record<string, SubscriptionCounters> = {};
    for (const [id, m] of this.perSubscription) out[id] = { ...m.counters };
    return out;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
