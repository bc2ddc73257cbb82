import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { JsonLogger } from '../../common/logging/json.logger';
import { AppConfig } from '../../config/app.config';
import { DeadLettersService } from '../../dead-letters/dead-letters.service';
import { HttpSender } from '../../delivery/http-sender.service';
import { RateGateRegistry, type ClusterRates } from '../../delivery/rate-gate.registry';
import { CircuitBreakerRegistry } from '../../delivery/circuit-breaker.registry';
import { MetricsService } from '../../metrics/metrics.service';
import type { MembersView } from '../../placement/placement-members';
import { ClusterPlacement } from '../../placement/cluster-placement.service';
import { SubscriptionChangeFeed } from '../../subscriptions/subscription-change-feed';
import type { AlertsSpec, SubscriptionSpec } from '../../subscriptions/dto/subscription-spec.schema';
import { SubscriptionsService } from '../../subscriptions/subscriptions.service';
import { CompiledSubscription } from '../consumers/compiled-subscription';
import { ConsumerStartsRepository } from '../offsets/consumer-starts.repository';
import { ConsumerSettings, ConsumerSnapshot, SubscriptionConsumer } from '../consumers/subscription-consumer';
import { GroupDescriber } from '../groups/group-describer.service';
import { BoundedConcurrency } from '../../common/concurrency/bounded-concurrency';

/** What alerting reads of one consumer. */
export interface ConsumerAlertView {
  readonly id: number;
  readonly name: string;
  readonly topic: string;
  readonly alerts: AlertsSpec | null;
  /** Records behind on the partitions this instance owns. */
  readonly lag: number;
  readonly problem: string | null;
  /** Its endpoint's circuit breaker as this instance sees it. */
  readonly circuit: { readonly state: string; readonly opens: number; readonly lastOpenForMs: number; readonly probes: number };
  /** Members of its consumer group outside kproxy, as "clientId at host". */
  readonly foreignMembers: readonly string[];
}

/**
 * Reconciles desired state (the database) with the consumers running here: periodically,
 * on the refresh API and after every admin change. Reconciles never overlap.
 */
@Injectable()
export class ConsumerSupervisor implements BeforeApplicationShutdown {
  private readonly consumers = new Map<number, SubscriptionConsumer>();
  /** The latest problem each consumer reported since the last look (alerts drain it). */
  private readonly problems = new Map<number, string>();
  private readonly reported = new Map<number, string>();
  private readonly settings: ConsumerSettings;
  private timer: NodeJS.Timeout | null = null;
  private queue: Promise<void> = Promise.resolve();
  private started = false;
  private shuttingDown = false;
  private refreshFailures = 0;
  private refreshFailingSince = 0;
  private placementTimer: NodeJS.Timeout | null = null;
  /** The placement members the last reconcile placed subscriptions over (sorted, joined). */
  private placedOver = '';
  private watchingMembers = false;
  /**
   * Start-position lookups (OffsetFetch, DescribeTopics, Metadata, ListOffsets) at once, over all
   * consumers: each holds a libuv pool thread (64) until the broker answers. When hundreds of
   * subscriptions start or move at once (an instance killed at 1,000 subscriptions), unbounded
   * lookups filled the pool, timed out waiting in its queue, retried and starved every fetch.
   */
  private readonly lookupSlots = new BoundedConcurrency(16, 1_000_000, 'Kafka start-position lookups');
  private placementReadFailing = false;

  constructor(
    private readonly config: AppConfig,
    private readonly subscriptions: SubscriptionsService,
    private readonly changes: SubscriptionChangeFeed,
    private readonly sender: HttpSender,
    private readonly gates: RateGateRegistry,
    private readonly breakers: CircuitBreakerRegistry,
    private readonly deadLetters: DeadLettersService,
    private readonly starts: ConsumerStartsRepository,
    private readonly metrics: MetricsService,
    private readonly logger: JsonLogger,
    private readonly placement: ClusterPlacement,
    private readonly groups: GroupDescriber,
  ) {
    this.settings = {
      instanceId: config.instanceId,
      commitIntervalMs: config.commitIntervalMs,
      drainTimeoutMs: config.shutdownDrainTimeoutMs,
      partitionBufferSize: config.partitionBufferSize,
      maxMessageBytes: config.maxMessageBytes,
      sessionTimeoutMs: config.kafkaSessionTimeoutMs,
      prefetchKbytes: config.kafkaPrefetchKbytes,
      kafkaDebug: config.kafkaDebug,
    };
  }

  get isStarted(): boolean {
    return this.started;
  }

  /** Called once the HTTP server is listening, so workers never run ahead of a ready app. */
  async start(): Promise<void> {
    if (this.started) return;
    this.changes.listen(() => this.reconcile());
    this.metrics.setRuntimeSources({
      lag: () => [...this.consumers.values()].flatMap((c) => c.lag().map((l) => ({ subscription: c.config.id, ...l }))),
      inFlight: () => [...this.consumers.values()].map((c) => ({ subscription: c.config.id, records: c.recordsInFlight })),
      states: () => [...this.consumers.values()].map((c) => ({ subscription: c.config.id, state: c.snapshot().state })),
      endpoints: () =>
        [...this.consumers.values()].map((c) => {
          const h = c.health();
          return {
            subscription: c.config.id,
            circuitState: h.circuit.state,
            opens: h.circuit.opens,
            probes: h.circuit.probes,
            openMs: h.circuit.openMs,
            inFlightLimit: h.inFlightLimit,
          };
        }),
    });
    await this.reconcile();
    this.timer = setInterval(() => {
      this.reconcile().catch(() => undefined);
    }, this.config.refreshIntervalMs);
    // Instances join and die between config refreshes: look at the members every heartbeat.
    this.placementTimer = setInterval(() => void this.watchMembers(), this.config.heartbeatIntervalMs);
    this.started = true;
  }

  reconcile(): Promise<void> {
    const next = this.queue.then(() => this.reconcileOnce());
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** What alerting needs of each consumer this instance runs, and the problems reported since the last call. */
  alertView(): ConsumerAlertView[] {
    const out: ConsumerAlertView[] = [];
    for (const c of this.consumers.values()) {
      const cfg = c.config;
      let lag = 0;
      for (const l of c.lag()) lag += l.lag;
      const circuit = c.health().circuit;
      out.push({
        id: cfg.id,
        name: cfg.spec.name,
        topic: cfg.kafka.topic,
        alerts: cfg.spec.alerts,
        lag,
        problem: this.problems.get(cfg.id) ?? null,
        circuit: { state: circuit.state, opens: circuit.opens, lastOpenForMs: circuit.lastOpenForMs, probes: circuit.probes },
        foreignMembers: c.foreignMembers.map((m) => `${m.clientId} at ${m.clientHost}`),
      });
    }
    this.problems.clear();
    return out;
  }

  snapshot(): ConsumerSnapshot[] {
    return [...this.consumers.values()].map((c) => c.snapshot());
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
    if (this.timer) clearInterval(this.timer);
    if (this.placementTimer) clearInterval(this.placementTimer);
    await this.queue;
    await Promise.all([...this.consumers].map(([id, c]) => this.retire(id, c, true)));
  }

  private async reconcileOnce(): Promise<void> {
    if (this.shuttingDown) return;
    let stored;
    try {
      stored = await this.subscriptions.loadAll();
    } catch (err) {
      this.metrics.configRefreshFailed();
      // Once per outage: a refresh runs every interval and would repeat the same line.
      if (this.refreshFailures++ === 0) {
        this.refreshFailingSince = Date.now();
        this.logger.error('cannot read subscriptions; keeping the consumers as they are and retrying', { err: (err as Error).message });
      }
      throw err;
    }
    if (this.refreshFailures > 0) {
      this.logger.info('subscriptions readable again', { failedRefreshes: this.refreshFailures, downForMs: Date.now() - this.refreshFailingSince });
      this.refreshFailures = 0;
    }
    // Unreadable instances (the database is failing) keep what runs, as unreadable subscriptions do.
    const members = await this.readMembers();
    this.placedOver = members.members.join(',');
    const desired = new Map<number, CompiledSubscription>();
    const keep = new Set<number>();
    this.gates.setCluster(this.clusterRates(stored));
    for (const s of stored) {
      if (!s.spec) {
        // A bad hand-written row: report it once; a consumer already running keeps its last good config.
        this.reportOnce(s.id, s.errors.join('; '), () =>
          this.logger.error('subscription config is invalid and will not run until it is fixed', { subscription: s.id, errors: s.errors }),
        );
        keep.add(s.id);
        continue;
      }
      this.reported.delete(s.id);
      if (s.spec.status !== 'running' || !this.placement.runsHere(s.id, s.spec.hosts, s.spec.replicas)) continue;
      // Compiling (JSONPaths, URL, rules) is skipped when the stored spec did not change.
      const running = this.consumers.get(s.id)?.config;
      const specKey = CompiledSubscription.specKey(s.spec);
      if (running && running.specKey === specKey) {
        desired.set(s.id, running);
        continue;
      }
      try {
        desired.set(s.id, new CompiledSubscription(s.id, s.spec, specKey));
      } catch (err) {
        // Validation should have refused it; if a pattern or path still fails to compile, only this subscription waits.
        this.reportOnce(s.id, (err as Error).message, () =>
          this.logger.error('subscription config does not compile and will not run until it is fixed', { subscription: s.id, err: (err as Error).message }),
        );
        keep.add(s.id);
      }
    }
    const stops: Promise<void>[] = [];
    for (const [id, consumer] of this.consumers) {
      if (desired.has(id) || keep.has(id)) continue;
      // Stays listed (as stopping) until it has drained and left, so others waiting see it.
      stops.push(this.retire(id, consumer, true));
    }
    await Promise.all(stops);
    for (const [id, compiled] of desired) {
      const current = this.consumers.get(id);
      if (!current) this.launch(compiled);
      else if (current.config.rebuildKey !== compiled.rebuildKey || current.snapshot().state === 'failed') {
        await this.retire(id, current, false);
        this.launch(compiled);
      } else if (current.config.liveKey !== compiled.liveKey) {
        current.update(compiled);
        this.logger.info('subscription config applied live', { subscription: id, topic: compiled.kafka.topic });
      }
    }
  }

  private async retire(id: number, consumer: SubscriptionConsumer, releaseGate: boolean): Promise<void> {
    await consumer.stop();
    if (this.consumers.get(id) === consumer) this.consumers.delete(id);
    if (releaseGate) {
      this.gates.remove(id);
      this.breakers.remove(id);
    }
  }

  private launch(compiled: CompiledSubscription): void {
    const consumer = new SubscriptionConsumer(compiled, {
      sender: this.sender,
      gates: this.gates,
      breakers: this.breakers,
      deadLetters: this.deadLetters,
      starts: this.starts,
      metrics: this.metrics.forSubscription(compiled.id),
      // Every line of the consumer names its subscription and topic (bound once, JsonLogger.child).
      logger: this.logger.child({ subscription: compiled.id, topic: compiled.kafka.topic }),
      settings: this.settings,
      groups: this.groups,
      lookupSlots: this.lookupSlots,
      reportProblem: (message) => this.problems.set(compiled.id, message),
    });
    this.consumers.set(compiled.id, consumer);
    consumer.start();
  }

  /**
   * What every instance knows alike about rates: where each running subscription is placed and
   * each rate group's rate and running members (RateGateRegistry turns it into local shares).
   */
  private clusterRates(stored: ReadonlyArray<{ id: number; spec: SubscriptionSpec | null }>): ClusterRates {
    const instances = new Map<number, number>();
    const groups = new Map<string, { rate: number; subscriptions: number }>();
    for (const { id, spec } of stored) {
      if (!spec || spec.status !== 'running') continue;
      instances.set(id, Math.max(1, this.placement.decide(id, spec.hosts, spec.replicas).instances.length));
      const group = spec.endpoint.rateGroup;
      if (!group) continue;
      const g = groups.get(group) ?? { rate: 0, subscriptions: 0 };
      const r = spec.delivery.ratePerSec;
      groups.set(group, { rate: r > 0 && (g.rate === 0 || r < g.rate) ? r : g.rate, subscriptions: g.subscriptions + 1 });
    }
    return { instances, groups };
  }

  /** Reconciles when the instances that count for placement changed since the last reconcile. */
  private async watchMembers(): Promise<void> {
    // One look at a time: a database that hangs instead of refusing must not pile up queries.
    if (this.shuttingDown || this.watchingMembers) return;
    this.watchingMembers = true;
    try {
      const members = (await this.readMembers()).members.join(',');
      if (members === this.placedOver) return;
      this.logger.info('placement members changed', { from: this.placedOver.split(',').filter(Boolean), to: members.split(',').filter(Boolean) });
      await this.reconcile().catch(() => undefined);
    } catch {
      // logged and counted by readMembers
    } finally {
      this.watchingMembers = false;
    }
  }

  /** The placement members now; a failed read is counted as a failed refresh and logged once per outage. */
  private async readMembers(): Promise<MembersView> {
    try {
      const view = await this.placement.refresh();
      this.placementReadFailing = false;
      return view;
    } catch (err) {
      this.metrics.configRefreshFailed();
      if (!this.placementReadFailing) this.logger.warn('cannot read the instances table; placement stays as it is', { err: (err as Error).message });
      this.placementReadFailing = true;
      throw err;
    }
  }

  private reportOnce(id: number, key: string, report: () => void): void {
    if (this.reported.get(id) === key) return;
    this.reported.set(id, key);
    report();
  }
}
