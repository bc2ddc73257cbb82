import { subscriptionBody, unique } from './support/fixtures';
import { useTestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

interface InstanceView {
  running: Array<{ subscriptionId: number; state: string; lag?: number | null }>;
}

/** About 16 KiB per record: the smallest prefetch (KAFKA_PREFETCH_KBYTES 1024) fills with some 64 of them. */
const PADDING = 'x'.repeat(16 * 1024);

/**
 * The lag an instance reports (heartbeats, the list's lagOver filter, the lag alert, the metric)
 * keeps growing while its consumer is stuck: librdkafka caches the high watermark from fetch
 * answers, and a partition whose prefetch queue is full (or that kproxy paused) is not fetched,
 * so kproxy asks the broker once the cached one stands still.
 */
describe('lag of a stuck partition', () => {
  const t = useTestWorld({
    responder: () => ({ status: 503 }),
    proxy: { env: { PARTITION_BUFFER_SIZE: '10', KAFKA_PREFETCH_KBYTES: '1024', HEARTBEAT_INTERVAL_MS: '500' } },
  });

  it('grows with what is produced after fetching stopped', async () => {
    const topic = unique('stuck-lag');
    await t.kafka.createTopic(topic, 1);
    const created = await t.proxy.api(
      'POST',
      '/api/subscriptions',
      subscriptionBody({
        name: unique('stuck-lag'),
        brokers: t.kafka.bootstrap,
        topic,
        url: `${t.sink.url}/down`,
        delivery: { maxRetries: 1000, backoffMs: 1000, maxBackoffMs: 1000 },
      }),
    );
    expect(created.status).toBe(201);
    const id = (created.body as { id: number }).id;
    const lag = async () => {
      const instances = (await t.proxy.api('GET', '/api/instances')).body as InstanceView[];
      return instances.flatMap((i) => i.running).find((r) => r.subscriptionId === id)?.lag ?? null;
    };
    const wave = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ n: from + i, padding: PADDING }));
    // The endpoint refuses everything: the first record is retried for good, the partition's
    // buffer and librdkafka's prefetch queue fill, and fetching stops.
    await t.client.produceJson(topic, wave(0, 300));
    await waitFor(async () => (await lag()) === 300, 'the first 300 records to show as lag', { timeoutMs: 30_000 });
    await t.client.produceJson(topic, wave(300, 400));
    await waitFor(async () => (await lag()) === 700, 'the lag to count the 400 produced while stuck', { timeoutMs: 30_000 });
  });
});
