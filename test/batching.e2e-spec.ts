import { subscriptionBody, unique } from './support/fixtures';
import { useTestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

describe('batch delivery and shared rate groups', () => {
  const t = useTestWorld();
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  /** Creates a running subscription on `topic` delivering to the sink at `/<label>`. */
  const subscribe = (label: string, topic: string, opts: { etl?: unknown; endpoint?: Record<string, unknown>; delivery: Record<string, unknown> }) =>
    t.proxy.api('POST', '/api/subscriptions', subscriptionBody({ name: unique(label), brokers: t.kafka.bootstrap, topic, url: `${t.sink.url}/${label}`, ...opts }));
  /** The requests at `/<label>` once their arrays hold at least `records` records in all. */
  const batchesHolding = (label: string, records: number, what: string) =>
    waitFor(() => {
      const r = t.sink.requests.filter((q) => q.path === `/${label}`);
      return r.reduce((n, q) => n + JSON.parse(q.body).length, 0) >= records && r;
    }, what);
  const deadLetters = async (subscriptionId: number) => (await t.proxy.api('GET', `/api/dead-letters?subscriptionId=${subscriptionId}&limit=500`)).body as any[];

  it('key mode: POSTs JSON arrays of transformed records, every record once, each key in order', async () => {
    const topic = unique('batch-key');
    await t.kafka.createTopic(topic, 4);
    const keys = range(25).map((k) => `k${k}`);
    await t.client.produce(topic, range(600).map((seq) => ({ key: keys[seq % 25], value: JSON.stringify({ seq, key: keys[seq % 25], noise: 'x' }) })));
    const res = await subscribe('batch-key', topic, { etl: { fields: { seq: '$.seq', key: '$.key' } }, delivery: { ordering: 'key', maxInFlight: 8, batchSize: 50, batchWaitMs: 20 } });
    expect(res.status).toBe(201);
    expect(res.body.delivery).toMatchObject({ batchSize: 50, batchWaitMs: 20 });
    const requests = await batchesHolding('batch-key', 600, 'all 600 records in batches');
    const seqsByKey = new Map<string, number[]>();
    let largest = 0;
    for (const req of requests) {
      const items = JSON.parse(req.body) as Array<{ seq: number; key: string }>;
      expect(Array.isArray(items)).toBe(true);
      expect(items.length).toBeLessThanOrEqual(50);
      expect(req.headers['x-kafka-batch-size']).toBe(String(items.length));
      expect(String(req.headers['x-kafka-records']).split(',').length).toBeGreaterThan(0);
      largest = Math.max(largest, items.length);
      for (const item of items) {
        expect(Object.keys(item).sort()).toEqual(['key', 'seq']);
        seqsByKey.set(item.key, [...(seqsByKey.get(item.key) ?? []), item.seq]);
      }
    }
    const all = [...seqsByKey.values()].flat();
    expect(new Set(all).size).toBe(600);
    expect(all).toHaveLength(600);
    for (const seqs of seqsByKey.values()) expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(largest).toBeGreaterThan(10);
    await waitFor(async () => (await t.client.committed(res.body.kafka.groupId, topic, 4)).reduce((a, b) => a + b, 0) === 600, 'everything committed');
  });

  it('partition mode: a batch never mixes partitions and holds partition order', async () => {
    const topic = unique('batch-part');
    await t.kafka.createTopic(topic, 3);
    await t.client.produce(topic, range(300).map((seq) => ({ value: JSON.stringify({ seq }), partition: seq % 3 })));
    await subscribe('batch-part', topic, { delivery: { ordering: 'partition', maxInFlight: 3, batchSize: 40, batchWaitMs: 10 } });
    const requests = await batchesHolding('batch-part', 300, 'all 300 records');
    const byPartition = new Map<number, number[]>();
    for (const req of requests) {
      const runs = String(req.headers['x-kafka-records']).split(',');
      const partitions = new Set(runs.map((run) => Number(run.split(':')[0])));
      expect(partitions.size).toBe(1);
      const p = [...partitions][0];
      for (const item of JSON.parse(req.body) as Array<{ seq: number }>) byPartition.set(p, [...(byPartition.get(p) ?? []), item.seq]);
    }
    for (const [p, seqs] of byPartition) {
      expect(seqs).toEqual(range(100).map((i) => i * 3 + p));
    }
  });

  it('retries a failed batch whole, then dead-letters each of its records on its own', async () => {
    const topic = unique('batch-fail');
    await t.kafka.createTopic(topic, 1);
    t.sink.respond((req) => (req.path === '/batch-fail' && req.body.includes('"poison"') ? { status: 503, body: { error: 'busy' } } : { status: 200 }));
    try {
      // The poison record comes after a pause so the first batch is already on its way.
      await t.client.produceJson(topic, [{ n: 1 }, { n: 2 }, { n: 3 }]);
      const sub = (await subscribe('batch-fail', topic, { delivery: { ordering: 'partition', maxInFlight: 1, batchSize: 10, batchWaitMs: 200, maxRetries: 2, backoffMs: 5, maxBackoffMs: 20 } })).body;
      await waitFor(() => t.sink.requests.some((q) => q.path === '/batch-fail'), 'the first batch');
      await t.client.produceJson(topic, [{ n: 4, tag: 'poison' }, { n: 5 }]);
      const rows = await waitFor(async () => {
        const r = await deadLetters(sub.id);
        return r.length === 2 && r;
      }, 'two dead letters');
      const failing = t.sink.requests.filter((q) => q.path === '/batch-fail' && q.body.includes('poison'));
      expect(failing).toHaveLength(3);
      expect(new Set(failing.map((q) => q.headers['idempotency-key'])).size).toBe(1);
      expect(failing[0].body).toBe('[{"n":4,"tag":"poison"},{"n":5}]');
      expect(rows.map((r) => Number(r.offset)).sort()).toEqual([3, 4]);
      for (const row of rows) {
        expect(row).toMatchObject({ reason: 'retries_exhausted', attempts: 3, lastStatus: 503, state: 'pending' });
        expect(row.lastError).toContain('in a batch of 2');
      }
      expect(rows.find((r) => Number(r.offset) === 4).transformedBody).toBe('{"n":5}');
      await waitFor(async () => (await t.client.committed(sub.kafka.groupId, topic, 1))[0] === 5, 'commit past the dead letters');
    } finally {
      t.sink.respond(() => ({ status: 200 }));
    }
  });

  it('sends a partial batch once batchWaitMs has passed, not at the next poll', async () => {
    const topic = unique('batch-partial');
    await t.kafka.createTopic(topic, 1);
    await subscribe('batch-partial', topic, { delivery: { ordering: 'partition', maxInFlight: 2, batchSize: 100, batchWaitMs: 15 } });
    for (let round = 1; round <= 3; round++) {
      await t.client.produceJson(topic, [{ round, i: 1 }, { round, i: 2 }]);
      // Well under the consumer's 5 s fallback poll: a lost linger timer would miss it.
      const got = await waitFor(() => t.sink.requests.filter((q) => q.path === '/batch-partial').length >= round, `partial batch ${round}`, { timeoutMs: 2500 });
      expect(got).toBe(true);
    }
    const bodies = t.sink.requests.filter((q) => q.path === '/batch-partial').map((q) => JSON.parse(q.body));
    expect(bodies.flat()).toHaveLength(6);
  });

  it('switching batching off live sends the waiting partial batch, then single records', async () => {
    const topic = unique('batch-off');
    await t.kafka.createTopic(topic, 1);
    await t.client.produceJson(topic, [{ n: 1 }, { n: 2 }, { n: 3 }]);
    const sub = (await subscribe('batch-off', topic, { delivery: { ordering: 'partition', maxInFlight: 1, batchSize: 10, batchWaitMs: 60_000 } })).body;
    await waitFor(async () => {
      const metrics = (await t.proxy.api('GET', '/metrics')).body as string;
      return metrics.includes(`kproxy_records_in_flight{subscription="${sub.id}"} 3`);
    }, 'the three records to wait in a partial batch');
    const patched = await t.proxy.api('PATCH', `/api/subscriptions/${sub.id}`, { delivery: { batchSize: 1 } });
    expect(patched.status).toBe(200);
    await waitFor(() => t.sink.requests.some((q) => q.path === '/batch-off'), 'the partial batch');
    await t.client.produceJson(topic, [{ n: 4 }]);
    const bodies = await waitFor(() => {
      const r = t.sink.requests.filter((q) => q.path === '/batch-off').map((q) => q.body);
      return r.length >= 2 && r;
    }, 'the next single record');
    expect(bodies).toEqual(['[{"n":1},{"n":2},{"n":3}]', '{"n":4}']);
  });

  it('subscriptions naming one rate group share its limit', async () => {
    const topics = [unique('group-a'), unique('group-b')];
    const group = unique('billing');
    for (const topic of topics) {
      await t.kafka.createTopic(topic, 1);
      await t.client.produceJson(topic, range(400).map((n) => ({ n })));
    }
    const ids: number[] = [];
    for (const topic of topics) {
      const res = await subscribe('grouped', topic, { endpoint: { rateGroup: group }, delivery: { ordering: 'unordered', maxInFlight: 16, ratePerSec: 50 } });
      expect(res.body.endpoint.rateGroup).toBe(group);
      ids.push(res.body.id);
    }
    const count = () => t.sink.requests.filter((q) => q.path === '/grouped').length;
    await waitFor(() => count() >= 20, 'deliveries to start');
    const from = count();
    const started = Date.now();
    await waitFor(() => Date.now() - started >= 3000, '3 s of deliveries', { timeoutMs: 5000, intervalMs: 100 });
    const perSecond = (count() - from) / ((Date.now() - started) / 1000);
    // Each alone would be allowed 50/s; together they must stay near 50/s, not 100/s.
    expect(perSecond).toBeGreaterThan(35);
    expect(perSecond).toBeLessThan(65);
    // The limiter's waiting shows in the metrics, as does each consumer's state.
    const metrics = (await t.proxy.api('GET', '/metrics')).body as string;
    for (const id of ids) {
      const waited = new RegExp(`kproxy_rate_limit_wait_seconds_total\\{subscription="${id}"\\} ([0-9.e-]+)`).exec(metrics);
      expect(Number(waited?.[1])).toBeGreaterThan(1);
      expect(metrics).toContain(`kproxy_consumer_state{subscription="${id}",state="running"} 1`);
    }
  });
});
