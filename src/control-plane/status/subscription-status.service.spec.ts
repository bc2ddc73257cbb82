import type { InstancesService } from '../../cluster/instances.service';
import type { AppConfig } from '../../config/app.config';
import { MetricsService } from '../../metrics/metrics.service';
import { parseSubscriptionSpec } from '../../subscriptions/dto/subscription-spec.schema';
import { SubscriptionChangeFeed } from '../../subscriptions/subscription-change-feed';
import type { SubscriptionsService } from '../../subscriptions/subscriptions.service';
import { KafkaGroupClient } from '../kafka-group-client';
import { SubscriptionStatusService } from './subscription-status.service';
import type { ClusterPlacement } from '../../placement/cluster-placement.service';

const PARTITIONS = 3;

/** A Kafka group client that answers after `latencyMs` and counts its calls and how many ran at once. */
function fakeKafka(latencyMs: number) {
  const seen = { calls: 0, active: 0, peak: 0 };
  const call = async <T>(value: T): Promise<T> => {
    seen.calls++;
    seen.active++;
    seen.peak = Math.max(seen.peak, seen.active);
    await new Promise((r) => setTimeout(r, latencyMs));
    seen.active--;
    return value;
  };
  const client = {
    partitions: () => call(Array.from({ length: PARTITIONS }, (_, p) => p)),
    committed: (ids: number[]) => call(new Map(ids.map((p) => [p, 10 * p]))),
    watermarks: (p: number) => call({ low: 0, high: 10 * p + 5 }),
    close: async () => undefined,
  } as unknown as KafkaGroupClient;
  jest.spyOn(KafkaGroupClient, 'connect').mockImplementation(() => call(client));
  return seen;
}

function service(config: Partial<AppConfig>) {
  const spec = (name: string) => {
    const parsed = parseSubscriptionSpec({
      name,
      kafka: { brokers: '127.0.0.1:9092', topic: `t-${name}` },
      endpoint: { url: 'http://127.0.0.1:1/x' },
      status: 'running',
    });
    if (!parsed.success) throw new Error(JSON.stringify(parsed.error.issues));
    return parsed.data;
  };
  let loads = 0;
  const subscriptions = {
    load: async (id: number) => {
      loads++;
      return { spec: spec(`s${id}`) };
    },
  } as unknown as SubscriptionsService;
  const instances = { list: async () => [] } as unknown as InstancesService;
  const cfg = { instanceId: 'unit', statusCacheMs: 1_000, statusKafkaConcurrency: 2, statusKafkaQueue: 4, ...config } as AppConfig;
  const changes = new SubscriptionChangeFeed();
  const placement = {
    decide: () => ({ mode: 'rendezvous', instances: ['unit'], reason: 'rendezvous: 1 of 1 live instance: unit' }),
    replicasOf: () => 2,
  } as unknown as ClusterPlacement;
  const svc = new SubscriptionStatusService(subscriptions, instances, cfg, new MetricsService(), changes, placement);
  return { svc, loads: () => loads, changes };
}

describe('SubscriptionStatusService under a flood', () => {
  afterEach(() => jest.restoreAllMocks());

  it('200 concurrent requests for one subscription make one computation, and the answer says how old it is', async () => {
    const seen = fakeKafka(5);
    const { svc, loads } = service({});
    const answers = await Promise.all(Array.from({ length: 200 }, () => svc.status(1)));
    // connect + metadata + committed + one watermarks per partition, once.
    expect(seen.calls).toBe(3 + PARTITIONS);
    expect(loads()).toBe(1);
    expect(seen.peak).toBe(1);
    for (const a of answers) {
      expect(a.partitions).toEqual([0, 1, 2].map((p) => ({ partition: p, committedOffset: 10 * p, highWatermark: 10 * p + 5, lag: 5 })));
      expect(a.ageMs).toBeGreaterThanOrEqual(0);
      expect(Date.parse(a.generatedAt)).toBeLessThanOrEqual(Date.now());
    }
    // Within the TTL the answer is reused, and ageMs grows.
    const again = await svc.status(1);
    expect(seen.calls).toBe(3 + PARTITIONS);
    expect(again.generatedAt).toBe(answers[0].generatedAt);
    svc.onApplicationShutdown();
  });

  it('a change made through this instance (start, stop, PATCH) is in the next answer, not a cached one', async () => {
    const seen = fakeKafka(1);
    const { svc, loads, changes } = service({ statusCacheMs: 60_000 });
    await svc.status(1);
    await svc.status(1);
    expect(loads()).toBe(1);
    await changes.announce();
    await svc.status(1);
    expect(loads()).toBe(2);
    expect(seen.calls).toBeGreaterThan(3 + PARTITIONS);
    svc.onApplicationShutdown();
  });

  it('bounds Kafka work process-wide: at most STATUS_KAFKA_CONCURRENCY at once, a bounded queue, 429 past it', async () => {
    const seen = fakeKafka(5);
    const { svc } = service({ statusKafkaConcurrency: 2, statusKafkaQueue: 4 });
    // 200 requests over 10 subscriptions: 10 computations, 2 run, 4 wait, 4 are refused.
    const settled = await Promise.allSettled(Array.from({ length: 200 }, (_, i) => svc.status(1 + (i % 10))));
    const ok = settled.filter((s) => s.status === 'fulfilled');
    const refused = settled.filter((s) => s.status === 'rejected').map((s) => (s as PromiseRejectedResult).reason);
    expect(ok).toHaveLength(120);
    expect(refused).toHaveLength(80);
    for (const r of refused) expect(r).toMatchObject({ code: 'BUSY', retryAfterSeconds: 1 });
    expect(seen.peak).toBeLessThanOrEqual(2);
    // Only the six admitted computations called Kafka (the first connect is per cluster: one client each).
    expect(seen.calls).toBeLessThanOrEqual(6 * (3 + PARTITIONS));
    expect(svc.kafkaGate.peakActive).toBe(2);
    svc.onApplicationShutdown();
  });

  it('computes again once the answer is older than STATUS_CACHE_MS (fake clock)', async () => {
    jest.useFakeTimers({ now: 1_000_000, doNotFake: ['nextTick', 'setImmediate'] });
    try {
      const seen = fakeKafka(0);
      const { svc } = service({ statusCacheMs: 1_500 });
      const first = svc.status(1);
      await jest.advanceTimersByTimeAsync(10);
      const a = await first;
      expect(a.ageMs).toBeLessThanOrEqual(10);
      const calls = seen.calls;
      await jest.advanceTimersByTimeAsync(1_000);
      const b = await svc.status(1);
      expect([b.generatedAt, seen.calls]).toEqual([a.generatedAt, calls]);
      expect(b.ageMs).toBeGreaterThanOrEqual(1_000);
      await jest.advanceTimersByTimeAsync(600);
      const later = svc.status(1);
      await jest.advanceTimersByTimeAsync(10);
      const c = await later;
      expect(c.generatedAt).not.toBe(a.generatedAt);
      expect(seen.calls).toBeGreaterThan(calls);
      svc.onApplicationShutdown();
    } finally {
      jest.useRealTimers();
    }
  });
});
