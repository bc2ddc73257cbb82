import { subscriptionBody, unique } from './support/fixtures';
import { useTestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

describe('ordering modes and acknowledgement across rebalances', () => {
  const t = useTestWorld();

  const range = (n: number) => Array.from({ length: n }, (_, i) => i);

  it('key mode: keeps each key in order while delivering keys concurrently', async () => {
    const topic = unique('keyed');
    await t.kafka.createTopic(topic, 4);
    let inFlight = 0;
    let maxInFlight = 0;
    t.sink.respond(async (req) => {
      if (req.path !== '/keyed') return { status: 200 };
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, (JSON.parse(req.body).seq * 7) % 5));
      inFlight--;
      return { status: 200 };
    });
    const keys = range(40).map((k) => `key-${k}`);
    await t.client.produce(
      topic,
      range(800).map((seq) => ({ key: keys[seq % keys.length], value: JSON.stringify({ seq, key: keys[seq % keys.length] }) })),
    );
    await t.proxy.api(
      'POST',
      '/api/subscriptions',
      subscriptionBody({
        name: unique('keyed'),
        brokers: t.kafka.bootstrap,
        topic,
        url: `${t.sink.url}/keyed`,
        delivery: { ordering: 'key', maxInFlight: 32 },
      }),
    );
    const got = await waitFor(() => {
      const r = t.sink.requests.filter((q) => q.path === '/keyed');
      return r.length >= 800 && r;
    }, 'all 800 records');
    const seqsByKey = new Map<string, number[]>();
    for (const r of got) {
      const { seq, key } = JSON.parse(r.body) as { seq: number; key: string };
      seqsByKey.set(key, [...(seqsByKey.get(key) ?? []), seq]);
    }
    for (const seqs of seqsByKey.values()) expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(maxInFlight).toBeGreaterThan(4);
    t.sink.respond(() => ({ status: 200 }));
  });

  it('never commits past a record that is not done, across a rebalance', async () => {
    const topic = unique('stuck');
    await t.kafka.createTopic(topic, 2);
    let released = false;
    t.sink.respond((req) => {
      const { seq } = JSON.parse(req.body || '{}');
      return req.path === '/stuck' && seq === 5 && !released ? { status: 500 } : { status: 200 };
    });
    await t.client.produce(
      topic,
      range(20).map((seq) => ({ value: JSON.stringify({ seq }), partition: 0 })),
    );
    await t.client.produce(
      topic,
      range(20).map((seq) => ({ value: JSON.stringify({ seq: 100 + seq }), partition: 1 })),
    );
    const res = await t.proxy.api(
      'POST',
      '/api/subscriptions',
      subscriptionBody({
        name: unique('stuck'),
        brokers: t.kafka.bootstrap,
        topic,
        url: `${t.sink.url}/stuck`,
        delivery: { ordering: 'unordered', maxInFlight: 16, maxRetries: 1000, backoffMs: 5, maxBackoffMs: 20 },
      }),
    );
    const groupId = res.body.kafka.groupId as string;
    // Everything but offset 5 of partition 0 is delivered, out of order around the stuck one.
    await waitFor(() => t.sink.requests.filter((r) => r.path === '/stuck' && r.headers['x-kafka-offset'] !== '5').length >= 38, 'the other records');
    const seen: number[] = [];
    const watch = setInterval(() => void t.client.committed(groupId, topic, 2).then((c) => seen.push(c[0])), 50);
    try {
      // A second instance joins: the group rebalances while offset 5 is still failing.
      const second = await t.world.startProxy();
      await waitFor(() => second.logs.some((l) => l.msg === 'partitions assigned'), 'the second instance to get partitions');
      await waitFor(() => t.sink.attempts(`${topic}-0-5`) > 20, 'more failed attempts after the rebalance');
      const before = await t.client.committed(groupId, topic, 2);
      expect(before[0]).toBeLessThanOrEqual(5);
      expect(Math.max(...seen.filter((o) => o >= 0), -1)).toBeLessThanOrEqual(5);
      released = true;
      await waitFor(async () => (await t.client.committed(groupId, topic, 2))[0] === 20, 'partition 0 committed after the release');
      await second.stop();
    } finally {
      clearInterval(watch);
    }
    expect(Math.max(...seen)).toBeLessThanOrEqual(20);
    t.sink.respond(() => ({ status: 200 }));
  });
});
