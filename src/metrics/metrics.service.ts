import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { DurationHistogram } from './duration-histogram';
import { SubscriptionCounters, SubscriptionMetrics } from './subscription-metrics';

export interface SubscriptionInFlight {
  subscription: number;
  /** Records taken for delivery and not yet settled (sending, retrying, or in a partial batch). */
  records: number;
}

export interface PartitionLag {
  subscription: number;
  partition: number;
  lag: number;
}

export interface ConsumerStateSample {
  subscription: number;
  state: string;
}

/** A subscription's endpoint as its consumer sees it (circuit breaker and in-flight limit). */
export interface EndpointHealthSample {
  subscription: number;
  /** closed, open or half_open. */
  circuitState: string;
  /** Times the breaker opened and probes it sent, and ms it spent open, since the process started. */
  opens: number;
  probes: number;
  openMs: number;
  /** Deliveries allowed at once now (the adaptive limit, or maxInFlight). */
  inFlightLimit: number;
}

/** What the runtime reports at scrape time. */
export interface RuntimeSources {
  lag(): PartitionLag[];
  inFlight(): SubscriptionInFlight[];
  states(): ConsumerStateSample[];
  endpoints(): EndpointHealthSample[];
}

const NO_RUNTIME: RuntimeSources = { lag: () => [], inFlight: () => [], states: () => [], endpoints: () => [] };
const CIRCUIT_STATES = ['closed', 'open', 'half_open'];

@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly perSubscription = new Map<number, SubscriptionMetrics>();
  private runtime: RuntimeSources = NO_RUNTIME;
  private refreshFailures = 0;

  constructor() {
    // The event-loop lag probe's default 10 ms timer woke an idle process 100 times a second.
    collectDefaultMetrics({ register: this.registry, prefix: 'kproxy_', eventLoopMonitoringPrecision: 100 });
    const all = () => this.perSubscription.values();
    // Totals are kept by SubscriptionMetrics; each scrape copies them in, so the hot path never
    // touches prom-client (whose per-call label hashing showed in the profile).
    const counter = (name: string, help: string, field: keyof SubscriptionCounters) =>
      new Counter({
        name,
        help,
        labelNames: ['subscription'],
        registers: [this.registry],
        collect() {
          this.reset();
          for (const m of all()) if (m.counters[field] > 0) this.inc({ subscription: m.subscription }, m.counters[field]);
        },
      });
    counter('kproxy_messages_consumed_total', 'Records read from Kafka', 'consumed');
    counter('kproxy_messages_filtered_total', 'Records skipped by the filter rules', 'filtered');
    counter('kproxy_messages_delivered_total', 'Records the endpoint accepted', 'delivered');
    counter('kproxy_delivery_retries_total', 'Delivery attempts repeated after a failure', 'retried');
    counter('kproxy_offset_commits_total', 'Offset commits sent to the group coordinator', 'commits');
    counter('kproxy_commit_failures_total', 'Offset commits that failed or went unanswered (each is retried)', 'commitFailures');
    counter(
      'kproxy_records_skipped_total',
      'Records stepped over because the broker no longer had them (retention or DeleteRecords passed the committed offset)',
      'skipped',
    );
    counter(
      'kproxy_offsets_went_back_total',
      "Times a partition's offsets went back (topic recreated, log truncated) and it started again at its log start",
      'offsetsWentBack',
    );
    new Counter({
      name: 'kproxy_messages_dead_lettered_total',
      help: 'Records written to the dead-letter store',
      labelNames: ['subscription', 'reason'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const m of all()) for (const [reason, n] of m.deadLetteredByReason) this.inc({ subscription: m.subscription, reason }, n);
      },
    });
    this.registry.registerMetric(
      new DurationHistogram('kproxy_delivery_duration_seconds', 'Duration of one HTTP delivery attempt', function* () {
        for (const m of all()) {
          if (m.success.count > 0) yield { labels: { subscription: m.subscription, outcome: 'success' }, buckets: m.success };
          if (m.failure.count > 0) yield { labels: { subscription: m.subscription, outcome: 'failure' }, buckets: m.failure };
        }
      }) as never,
    );
    // Gauges read at scrape time from whoever runs the consumers (the supervisor).
    const gauge = (name: string, help: string, labelNames: string[], fill: (set: (labels: Record<string, string>, v: number) => void) => void) =>
      new Gauge({
        name,
        help,
        labelNames,
        registers: [this.registry],
        collect() {
          this.reset();
          fill((labels, v) => this.set(labels, v));
        },
      });
    gauge(
      'kproxy_records_in_flight',
      'Records taken for delivery and not yet settled (sending, retrying, or waiting in a partial batch)',
      ['subscription'],
      (set) => {
        for (const f of this.runtime.inFlight()) set({ subscription: String(f.subscription) }, f.records);
      },
    );
    gauge(
      'kproxy_consumer_state',
      'Each running consumer of this instance, 1 for its current state (starting, running, stopping, stopped, failed)',
      ['subscription', 'state'],
      (set) => {
        for (const c of this.runtime.states()) set({ subscription: String(c.subscription), state: c.state }, 1);
      },
    );
    gauge(
      'kproxy_circuit_state',
      "The circuit breaker of each running subscription's endpoint, 1 for its current state (closed, open, half_open) and 0 for the others",
      ['subscription', 'state'],
      (set) => {
        for (const e of this.runtime.endpoints())
          for (const state of CIRCUIT_STATES) set({ subscription: String(e.subscription), state }, e.circuitState === state ? 1 : 0);
      },
    );
    gauge(
      'kproxy_inflight_limit',
      'Deliveries a subscription may have in flight now: the adaptive limit, at most delivery.maxInFlight',
      ['subscription'],
      (set) => {
        for (const e of this.runtime.endpoints()) set({ subscription: String(e.subscription) }, e.inFlightLimit);
      },
    );
    const endpointCounter = (name: string, help: string, value: (e: EndpointHealthSample) => number) =>
      new Counter({
        name,
        help,
        labelNames: ['subscription'],
        registers: [this.registry],
        collect: () => {
          const c = this.registry.getSingleMetric(name) as Counter<string>;
          c.reset();
          for (const e of this.runtime.endpoints()) if (value(e) > 0) c.inc({ subscription: String(e.subscription) }, value(e));
        },
      });
    endpointCounter('kproxy_circuit_opens_total', "Times a subscription's circuit breaker opened (its endpoint counted as unavailable)", (e) => e.opens);
    endpointCounter('kproxy_circuit_probes_total', 'Probe requests sent while a circuit breaker was half-open', (e) => e.probes);
    endpointCounter('kproxy_circuit_open_seconds_total', 'Time a circuit breaker spent open or half-open', (e) => e.openMs / 1000);
    const metrics = this;
    new Counter({
      name: 'kproxy_config_refresh_failures_total',
      help: 'Config refreshes that could not read the subscriptions (the consumers keep their last config)',
      registers: [this.registry],
      collect() {
        this.reset();
        if (metrics.refreshFailures > 0) this.inc(metrics.refreshFailures);
      },
    });
    new Counter({
      name: 'kproxy_rate_limit_wait_seconds_total',
      help: 'Time deliveries spent waiting for the rate limiter',
      labelNames: ['subscription'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const m of all()) if (m.rateWaitSeconds > 0) this.inc({ subscription: m.subscription }, m.rateWaitSeconds);
      },
    });
    gauge(
      'kproxy_consumer_lag',
      'Records in a partition after the next offset this instance will commit (high watermark - position)',
      ['subscription', 'partition'],
      (set) => {
        for (const l of this.runtime.lag()) set({ subscription: String(l.subscription), partition: String(l.partition) }, l.lag);
      },
    );
  }

  /** Lag, in-flight counts and consumer states are read at scrape time from the supervisor. */
  setRuntimeSources(sources: RuntimeSources): void {
    this.runtime = sources;
  }

  /** The supervisor could not read the subscriptions (database unreachable). */
  configRefreshFailed(): void {
    this.refreshFailures++;
  }

  /** One handle per subscription id, kept across consumer restarts so counters accumulate. */
  forSubscription(id: number): SubscriptionMetrics {
    let m = this.perSubscription.get(id);
    if (!m) {
      m = new SubscriptionMetrics(String(id));
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

  /** Every subscription's figures this process keeps (read them, never change them): the metrics history samples these. */
  all(): Iterable<SubscriptionMetrics> {
    return this.perSubscription.values();
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
