import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { InstancesService } from '../../cluster/instances.service';
import { AppConfig } from '../../config/app.config';
import type { SubscriptionCounters } from '../../metrics/subscription-metrics';
import { SubscriptionsService } from '../../subscriptions/subscriptions.service';
import { CompiledSubscription } from '../consumers/compiled-subscription';
import type { DeliveryHealth } from '../consumers/subscription-consumer';
import { KafkaGroupClient, type GroupMember } from '../offsets/kafka-group-client';

export interface SubscriptionStatus {
  id: number;
  status: string;
  /**
   * `endpoint`: the circuit breaker and in-flight limit as that instance sees its endpoint;
   * `foreignMembers`: consumers outside kproxy that instance saw in the group (GroupMemberWatch).
   */
  instances: Array<{ instanceId: string; state: string; partitions: number[]; endpoint?: DeliveryHealth; foreignMembers?: readonly GroupMember[] }>;
  partitions: Array<{ partition: number; committedOffset: number | null; highWatermark: number; lag: number }>;
  counters: SubscriptionCounters;
  /** Why partitions could not be read (broker unreachable, invalid config); absent when they were. */
  kafkaError?: string;
  configErrors?: string[];
}

const ZERO: SubscriptionCounters = { consumed: 0, delivered: 0, filtered: 0, retried: 0, deadLettered: 0, commits: 0, commitFailures: 0, skipped: 0, offsetsWentBack: 0 };

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

  constructor(
    private readonly subscriptions: SubscriptionsService,
    private readonly instances: InstancesService,
    private readonly config: AppConfig,
  ) {}

  async status(id: number): Promise<SubscriptionStatus> {
    const stored = await this.subscriptions.load(id);
    const all = await this.instances.list();
    const counters = { ...ZERO };
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
    const result: SubscriptionStatus = {
      id,
      status: stored.spec?.status ?? 'stopped',
      instances,
      partitions: [],
      counters,
    };
    if (!stored.spec) return { ...result, configErrors: stored.errors };
    try {
      result.partitions = await this.partitions(new CompiledSubscription(id, stored.spec));
    } catch (err) {
      result.kafkaError = (err as Error).message;
    }
    return result;
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
      const ids = await client.partitions();
      // The consumer waits for a missing topic without an error of its own; say it here.
      if (ids.length === 0) throw new Error(`topic "${sub.kafka.topic}" does not exist on ${sub.kafka.brokers}; the subscription waits for it`);
      const committed = await client.committed(ids);
      const out: SubscriptionStatus['partitions'] = [];
      for (const partition of ids) {
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
