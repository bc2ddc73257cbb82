import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { InstancesService } from '../../cluster/instances.service';
import { AppConfig } from '../../config/app.config';
import { zeroCounters, type SubscriptionCounters } from '../../metrics/subscription-metrics';
import { SubscriptionChangeFeed } from '../../subscriptions/subscription-change-feed';
import { SubscriptionsService } from '../../subscriptions/subscriptions.service';
import { CompiledSubscription } from '../../runtime/consumers/compiled-subscription';
import type { DeliveryHealth } from '../../runtime/consumers/subscription-consumer';
import type { GroupMember } from '../../model/group-member';
import { KafkaGroupClient } from '../kafka-group-client';
import { Counter } from 'prom-client';
import { MetricsService } from '../../metrics/metrics.service';
import { ClusterPlacement } from '../../placement/cluster-placement.service';
import { BoundedConcurrency } from '../../common/concurrency/bounded-concurrency';
import { SingleFlightCache } from './single-flight-cache';

export interface SubscriptionStatus {
  id: number;
  status: string;
  /**
   * `endpoint`: the circuit breaker and in-flight limit as that instance sees its endpoint;
   * `foreignMembers`: consumers outside kproxy that instance saw in the group (GroupMemberWatch).
   */
  instances: Array<{ instanceId: string; state: string; partitions: number[]; endpoint?: DeliveryHealth; foreignMembers?: readonly GroupMember[] }>;
  /**
   * Where it should run and why, by the instances this instance counts for placement:
   * "pinned by hosts: a, b", "rendezvous: 2 of 3 live instances: a, b", "waiting: no live instance",
   * or "stopped". `instances` above is where it does run (from heartbeats).
   */
  placement: { mode: 'pinned' | 'rendezvous' | 'waiting' | 'stopped'; instances: readonly string[]; replicas: number | null; reason: string };
  partitions: Array<{ partition: number; committedOffset: number | null; highWatermark: number; lag: number }>;
  counters: SubscriptionCounters;
  /** Why partitions could not be read (broker unreachable, invalid config); absent when they were. */
  kafkaError?: string;
  configErrors?: string[];
  /** When this answer was computed (ISO 8601): answers are shared for STATUS_CACHE_MS. */
  generatedAt: string;
  /** How old the answer is, ms: 0 for a fresh one, up to about STATUS_CACHE_MS for a shared one. */
  ageMs: number;
}

/** Kafka calls a status makes, by kind (counted in kproxy_status_kafka_calls_total). */
type KafkaCall = 'connect' | 'metadata' | 'committed' | 'watermarks';

const CLIENT_IDLE_MS = 60_000;

interface CachedClient {
  client: Promise<KafkaGroupClient>;
  timer: NodeJS.Timeout;
}

/** Who runs a subscription, how far its group got per partition, and what it has done. */
@Injectable()
export class SubscriptionStatusService implements OnApplicationShutdown {
  // Opening a librdkafka client costs threads and sockets, and closing one takes seconds;
  // a dashboard polling status reuses one per cluster and group until it idles.
  private readonly clients = new Map<string, CachedClient>();
  /** One computation per subscription at a time, its answer reused for STATUS_CACHE_MS. */
  private readonly answers: SingleFlightCache<number, Omit<SubscriptionStatus, 'generatedAt' | 'ageMs'>>;
  /**
   * Process-wide bound on status computations inside Kafka: each makes its librdkafka calls one
   * after another, so at most STATUS_KAFKA_CONCURRENCY of them hold libuv pool threads at once,
   * whatever the requests; the pool stays free for the consumers' fetches and commits.
   */
  readonly kafkaGate: BoundedConcurrency;
  private readonly kafkaCalls: Counter<'call'>;

  constructor(
    private readonly subscriptions: SubscriptionsService,
    private readonly instances: InstancesService,
    private readonly config: AppConfig,
    metrics: MetricsService,
    changes: SubscriptionChangeFeed,
    private readonly placement: ClusterPlacement,
  ) {
    this.answers = new SingleFlightCache(config.statusCacheMs);
    // A change made through this instance (start, stop, PATCH, delete) shows in the next status at once.
    changes.listen(async () => this.answers.clear());
    this.kafkaGate = new BoundedConcurrency(config.statusKafkaConcurrency, config.statusKafkaQueue, 'subscription status queries to Kafka');
    this.kafkaCalls = new Counter({
      name: 'kproxy_status_kafka_calls_total',
      help: 'Kafka client calls made to answer GET /api/subscriptions/:id/status (connect, metadata, committed, watermarks)',
      labelNames: ['call'],
      registers: [metrics.registry],
    });
    const gate = this.kafkaGate;
    new Counter({
      name: 'kproxy_status_refused_total',
      help: 'Status requests refused with 429 because STATUS_KAFKA_CONCURRENCY queries ran and STATUS_KAFKA_QUEUE waited',
      registers: [metrics.registry],
      collect() {
        this.reset();
        this.inc(gate.refused);
      },
    });
  }

  /**
   * Who runs subscription `id`, its partitions' committed offsets, high watermarks and lag, and
   * its counters. Concurrent callers for one subscription share one computation, and its
   * answer is reused for STATUS_CACHE_MS (`generatedAt` and `ageMs` say how old it is).
   * @throws DomainException SubscriptionNotFound, Busy (429 with Retry-After: the
   *   Kafka queries of other subscriptions fill STATUS_KAFKA_CONCURRENCY and STATUS_KAFKA_QUEUE)
   */
  async status(id: number): Promise<SubscriptionStatus> {
    const { value, generatedAt } = await this.answers.get(id, () => this.compute(id));
    return { ...value, generatedAt: new Date(generatedAt).toISOString(), ageMs: Math.max(0, Date.now() - generatedAt) };
  }

  /** Drops subscription `id`'s shared answer (its offsets were just reset), so the next status reads afresh. */
  forget(id: number): void {
    this.answers.forget(id);
  }

  private async compute(id: number): Promise<Omit<SubscriptionStatus, 'generatedAt' | 'ageMs'>> {
    const stored = await this.subscriptions.load(id);
    const all = await this.instances.list();
    const counters = zeroCounters();
    const instances: SubscriptionStatus['instances'] = [];
    for (const inst of all) {
      if (!inst.live) continue;
      const c = inst.counters[String(id)];
      if (c) for (const k of Object.keys(counters) as Array<keyof SubscriptionCounters>) counters[k] += c[k] ?? 0;
      const consumer = inst.running.find((r) => r.subscriptionId === id && r.state !== 'stopped');
      if (consumer) {
        instances.push({
          instanceId: inst.instanceId,
          state: consumer.state,
          partitions: consumer.partitions,
          ...(consumer.endpoint ? { endpoint: consumer.endpoint } : {}),
          ...(consumer.foreignMembers?.length ? { foreignMembers: consumer.foreignMembers } : {}),
        });
      }
    }
    const result: Omit<SubscriptionStatus, 'generatedAt' | 'ageMs'> = {
      id,
      status: stored.spec?.status ?? 'stopped',
      instances,
      placement: this.placementOf(id, stored.spec),
      partitions: [],
      counters,
    };
    if (!stored.spec) return { ...result, configErrors: stored.errors };
    const sub = new CompiledSubscription(id, stored.spec);
    // A refusal (429) goes to the callers; a Kafka failure is part of the answer.
    const partitions = await this.kafkaGate.run(() =>
      this.partitions(sub).then(
        (p) => ({ p }),
        (err: Error) => ({ err }),
      ),
    );
    if ('p' in partitions) result.partitions = partitions.p;
    else result.kafkaError = partitions.err.message;
    return result;
  }

  private placementOf(id: number, spec: { status: string; hosts: string[]; replicas: number | null } | null): SubscriptionStatus['placement'] {
    if (!spec || spec.status !== 'running') return { mode: 'stopped', instances: [], replicas: null, reason: 'stopped' };
    const replicas = spec.hosts.length ? null : this.placement.replicasOf(spec.replicas);
    return { ...this.placement.decide(id, spec.hosts, spec.replicas), replicas };
  }

  onApplicationShutdown(): void {
    for (const key of [...this.clients.keys()]) this.drop(key);
  }

  private client(sub: CompiledSubscription): Promise<KafkaGroupClient> {
    const key = sub.kafkaKey;
    const cached = this.clients.get(key);
    if (cached) {
      cached.timer.refresh();
      return cached.client;
    }
    this.kafkaCalls.inc({ call: 'connect' satisfies KafkaCall });
    const client = KafkaGroupClient.connect(sub.kafka, `kproxy-${this.config.instanceId}-status-${sub.id}`);
    const timer = setTimeout(() => this.drop(key), CLIENT_IDLE_MS);
    timer.unref();
    this.clients.set(key, { client, timer });
    client.catch(() => this.drop(key));
    return client;
  }

  private drop(key: string): void {
    const cached = this.clients.get(key);
    if (!cached) return;
    this.clients.delete(key);
    clearTimeout(cached.timer);
    cached.client.then((c) => c.close()).catch(() => undefined);
  }

  private async partitions(sub: CompiledSubscription): Promise<SubscriptionStatus['partitions']> {
    let client: KafkaGroupClient;
    try {
      client = await this.client(sub);
    } catch (err) {
      this.drop(sub.kafkaKey);
      throw err;
    }
    try {
      const call = (kind: KafkaCall) => this.kafkaCalls.inc({ call: kind });
      call('metadata');
      const ids = await client.partitions();
      // The consumer waits for a missing topic without an error of its own; say it here.
      if (ids.length === 0) throw new Error(`topic "${sub.kafka.topic}" does not exist on ${sub.kafka.brokers}; the subscription waits for it`);
      call('committed');
      const committed = await client.committed(ids);
      const out: SubscriptionStatus['partitions'] = [];
      for (const partition of ids) {
        call('watermarks');
        const w = await client.watermarks(partition);
        const at = committed.get(partition);
        out.push({
          partition,
          committedOffset: at ?? null,
          highWatermark: w.high,
          lag: Math.max(0, w.high - (at ?? w.low)),
        });
      }
      return out;
    } catch (err) {
      this.drop(sub.kafkaKey);
      throw err;
    }
  }
}
