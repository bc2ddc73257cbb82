import { subscriptionBody, unique } from './support/fixtures';
import { useTestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

describe('batch delivery and shared rate groups', () => {
  const t = useTestWorld();
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  /** Creates a running subscription on `topic` delivering to the sink at `/<label>`. */
  const subscribe = (label: string, topic: string, opts: { etl?: unknown; endpoint?: Record<string, unknown>; delivery: Record<string, unknown> }) =>
    t.proxy.api(
      'POST',
      '/api/subscriptions',
      subscriptionBody({ name: unique(label), brokers: t.kafka.bootstrap, topic, url: `${t.sink.url}/${label}`, ...opts }),
    );
  /** The requests at `/<label>` once their arrays hold at least `records` records in all. */
  const batchesHolding = (label: string, records: number, what: string) =>
    waitFor(() => {
      const r = t.sink.requests.filter((q) => q.path === `/${label}`);
      return r.reduce((n, q) => n + JSON.parse(q.body).length, 0) >= records && r;
    }, what);
  const deadLetters = async (subscriptionId: number) =>
    (await t.proxy.api('GET', `/api/dead-letters?subscriptionId=${subscriptionId}&limit=500`)).body as any[];

  it('key mode: POSTs JSON arrays of transformed records, every record once, each key in order', async () => {
    const topic = unique('batch-key');
    await t.kafka.createTopic(topic, 4);
    const keys = range(25).map((k) => `k${k}`);
    await t.client.produce(
      topic,
      range(600).map((seq) => ({ key: keys[seq % 25], value: JSON.stringify({ seq, key: keys[seq % 25], noise: 'x' }) })),
    );
    const res = await subscribe('batch-key', topic, {
      etl: { fields: { seq: '$.seq', key: '$.key' } },
      delivery: { ordering: 'key', maxInFlight: 8, batchSize: 50, batchWaitMs: 20 },
    });
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
    await t.client.produce(
      topic,
      range(300).map((seq) => ({ value: JSON.stringify({ seq }), partition: seq % 3 })),
    );
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
    t.sink.respond((req) => (req.path === '/batch-fail' && req.body.includes('"poison"') ? { status: 500, body: { error: 'busy' } } : { status: 200 }));
    try {
      // The poison record comes after a pause so the first batch is already on its way.
      await t.client.produceJson(topic, [{ n: 1 }, { n: 2 }, { n: 3 }]);
      const sub = (
        await subscribe('batch-fail', topic, {
          delivery: { ordering: 'partition', maxInFlight: 1, batchSize: 10, batchWaitMs: 200, maxRetries: 2, backoffMs: 5, maxBackoffMs: 20 },
        })
      ).body;
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
        expect(row).toMatchObject({ reason: 'retries_exhausted', attempts: 3, lastStatus: 500, state: 'pending' });
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
      await t.client.produceJson(topic, [
        { round, i: 1 },
        { round, i: 2 },
      ]);
      // Well under the consumer's 5 s fallback poll: a lost linger timer would miss it.
      const got = await waitFor(() => t.sink.requests.filter((q) => q.path === '/batch-partial').length >= round, `partial batch ${round}`, {
        timeoutMs: 2500,
      });
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
      await t.client.produceJson(
        topic,
        range(400).map((n) => ({ n })),
      );
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
  describe('byte cap, 413 and refused records (issue 15, items 6 and 7)', () => {
    const EXPRESS_LIMIT = 100 * 1024;
    /** Records of ~2 KB: 100 of them make a ~200 KB array body. */
    const big = (seq: number) => JSON.stringify({ seq, pad: 'x'.repeat(2000) });
    const at = (label: string) => t.sink.requests.filter((q) => q.path === `/${label}`);
    /** Offsets named by an x-kafka-records header ("0:3-5,0:9" -> [3,4,5,9]). */
    const offsetsOf = (header: unknown) =>
      String(header)
        .split(',')
        .flatMap((run) => {
          const [from, to] = run.split(':')[1].split('-').map(Number);
          return range((to ?? from) - from + 1).map((i) => from + i);
        });

    afterEach(() => t.sink.respond(() => ({ status: 200 })));

    it('a batch answered 413 over 100 KB (express) is halved until it fits: every record delivered, none dead-lettered', async () => {
      const topic = unique('batch-413');
      await t.kafka.createTopic(topic, 1);
      await t.client.produce(
        topic,
        range(100).map((seq) => ({ value: big(seq) })),
      );
      t.sink.respond((req) =>
        req.path === '/batch-413' && Buffer.byteLength(req.body) > EXPRESS_LIMIT
          ? { status: 413, body: { error: 'request entity too large' } }
          : { status: 200 },
      );
      const sub = (await subscribe('batch-413', topic, { delivery: { ordering: 'partition', maxInFlight: 1, batchSize: 100, batchWaitMs: 1000 } })).body;
      expect(sub.delivery.maxBatchBytes).toBe(1024 * 1024);
      await waitFor(async () => (await t.client.committed(sub.kafka.groupId, topic, 1))[0] === 100, 'everything committed');
      const requests = at('batch-413');
      expect(requests.some((q) => q.status === 413)).toBe(true);
      const ok = requests.filter((q) => q.status === 200);
      const seqs = ok.flatMap((q) => (JSON.parse(q.body) as Array<{ seq: number }>).map((r) => r.seq));
      expect(seqs).toEqual(range(100));
      for (const q of ok) {
        expect(Buffer.byteLength(q.body)).toBeLessThanOrEqual(EXPRESS_LIMIT);
        const items = JSON.parse(q.body) as Array<{ seq: number }>;
        expect(q.headers['x-kafka-batch-size']).toBe(String(items.length));
        expect(offsetsOf(q.headers['x-kafka-records'])).toEqual(items.map((r) => r.seq));
      }
      expect(await deadLetters(sub.id)).toEqual([]);
      console.log(`413 example: 100 records of ~2 KB in ${requests.length} requests (${requests.length - ok.length} answered 413)`);
    });

    it('maxBatchBytes keeps every body within the cap, so the endpoint never answers 413', async () => {
      const topic = unique('batch-cap');
      await t.kafka.createTopic(topic, 1);
      await t.client.produce(
        topic,
        range(100).map((seq) => ({ value: big(seq) })),
      );
      t.sink.respond((req) => (req.path === '/batch-cap' && Buffer.byteLength(req.body) > EXPRESS_LIMIT ? { status: 413 } : { status: 200 }));
      const sub = (
        await subscribe('batch-cap', topic, {
          delivery: { ordering: 'partition', maxInFlight: 1, batchSize: 100, batchWaitMs: 1000, maxBatchBytes: EXPRESS_LIMIT },
        })
      ).body;
      expect(sub.delivery.maxBatchBytes).toBe(EXPRESS_LIMIT);
      await waitFor(async () => (await t.client.committed(sub.kafka.groupId, topic, 1))[0] === 100, 'everything committed');
      const requests = at('batch-cap');
      expect(requests.every((q) => q.status === 200 && Buffer.byteLength(q.body) <= EXPRESS_LIMIT)).toBe(true);
      expect(requests.flatMap((q) => (JSON.parse(q.body) as Array<{ seq: number }>).map((r) => r.seq))).toEqual(range(100));
      // 2,015-byte records: 50 fit in 100 KB, so a full batch of 100 goes as two.
      expect(Math.max(...requests.map((q) => JSON.parse(q.body).length))).toBeGreaterThan(40);
    });

    it('a batch of 50 with 2 records the endpoint refuses (400): exactly those 2 dead-lettered, 48 delivered in order', async () => {
      const topic = unique('batch-refuse');
      await t.kafka.createTopic(topic, 2);
      const bad = new Set([13, 37]);
      // All on partition 0, keyed so key mode's lanes are exercised too.
      await t.client.produce(
        topic,
        range(50).map((seq) => ({
          key: `k${seq % 3}`,
          partition: 0,
          value: JSON.stringify({ seq, key: `k${seq % 3}`, ...(bad.has(seq) ? { refuse: true } : {}) }),
        })),
      );
      t.sink.respond((req) =>
        req.path === '/batch-refuse' && req.body.includes('"refuse":true') ? { status: 400, body: { error: 'invalid item' } } : { status: 200 },
      );
      const sub = (await subscribe('batch-refuse', topic, { delivery: { ordering: 'key', maxInFlight: 1, batchSize: 50, batchWaitMs: 1000 } })).body;
      const rows = await waitFor(async () => {
        const r = await deadLetters(sub.id);
        return r.length >= 2 && r;
      }, 'two dead letters');
      await waitFor(async () => (await t.client.committed(sub.kafka.groupId, topic, 2))[0] === 50, 'everything committed');
      expect((await deadLetters(sub.id)).map((r) => Number(r.offset)).sort((a, b) => a - b)).toEqual([13, 37]);
      for (const row of rows) {
        expect(row).toMatchObject({ reason: 'rejected', attempts: 1, lastStatus: 400 });
        expect(row.lastError).toMatch(/alone, after halving a batch of \d+/);
        expect(JSON.parse(row.transformedBody).refuse).toBe(true);
      }
      const requests = at('batch-refuse');
      const ok = requests.filter((q) => q.status === 200);
      const delivered = ok.flatMap((q) => JSON.parse(q.body) as Array<{ seq: number; key: string }>);
      expect(delivered.map((r) => r.seq).sort((a, b) => a - b)).toEqual(range(50).filter((s) => !bad.has(s)));
      for (const key of ['k0', 'k1', 'k2']) {
        const seqs = delivered.filter((r) => r.key === key).map((r) => r.seq);
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      }
      for (const q of ok) expect(offsetsOf(q.headers['x-kafka-records'])).toEqual((JSON.parse(q.body) as Array<{ seq: number }>).map((r) => r.seq));
      // Bisecting k=2 among n=50 costs at most 2·k·⌈log2 n⌉ = 24 extra requests.
      const first = JSON.parse(requests[0].body).length;
      expect(requests.length).toBeLessThanOrEqual(Math.ceil(50 / first) + 24);
      console.log(`bisect example: 2 refused of 50 (first batch ${first}) found in ${requests.length} requests`);
    });

    it('an endpoint answering per-item results: only the items it marks are dead-lettered, without halving', async () => {
      const topic = unique('batch-items');
      await t.kafka.createTopic(topic, 1);
      const bad = new Set([3, 11, 12]);
      let refuseBad = true;
      await t.client.produceJson(
        topic,
        range(20).map((seq) => ({ seq, ...(bad.has(seq) ? { bad: true } : {}) })),
      );
      t.sink.respond((req) =>
        req.path === '/batch-items'
          ? { status: 200, body: { errcode: 0, results: (JSON.parse(req.body) as Array<{ bad?: boolean }>).map((r) => (r.bad && refuseBad ? 1003 : 0)) } }
          : { status: 200 },
      );
      const sub = (
        await subscribe('batch-items', topic, {
          endpoint: { errcodePath: '$.errcode', itemResultsPath: '$.results' },
          delivery: { ordering: 'partition', maxInFlight: 1, batchSize: 20, batchWaitMs: 1000 },
        })
      ).body;
      expect(sub.endpoint.itemResultsPath).toBe('$.results');
      await waitFor(async () => (await t.client.committed(sub.kafka.groupId, topic, 1))[0] === 20, 'everything committed');
      const rows = await deadLetters(sub.id);
      expect(rows.map((r) => Number(r.offset)).sort((a, b) => a - b)).toEqual([3, 11, 12]);
      for (const row of rows) {
        expect(row).toMatchObject({ reason: 'rejected', attempts: 1, lastStatus: 200 });
        expect(row.lastError).toMatch(/^item result 1003 at \$\.results\[\d+\] is not one of \[0\] \(item \d+ of a batch of \d+\)$/);
      }
      // Each record was sent exactly once: per-item results need no halving.
      const seqs = at('batch-items').flatMap((q) => (JSON.parse(q.body) as Array<{ seq: number }>).map((r) => r.seq));
      expect(seqs).toEqual(range(20));
      // Re-delivery judges the one-record array by its item result too.
      const row = rows.find((r) => Number(r.offset) === 11);
      expect((await t.proxy.api('POST', `/api/dead-letters/${row.id}/redeliver`)).body).toMatchObject({ state: 'pending' });
      refuseBad = false;
      expect((await t.proxy.api('POST', `/api/dead-letters/${row.id}/redeliver`)).body.state).toBe('redelivered');
      const invalid = await t.proxy.api('PATCH', `/api/subscriptions/${sub.id}`, { endpoint: { itemResultsPath: 'results' } });
      expect(invalid.status).toBe(400);
      expect(invalid.body.message).toEqual([expect.stringMatching(/^endpoint\.itemResultsPath: /)]);
    });

    it('refuses maxBatchBytes out of range with a 400 naming the field', async () => {
      const body = (maxBatchBytes: unknown) =>
        subscriptionBody({
          name: unique('cap'),
          brokers: t.kafka.bootstrap,
          topic: unique('t'),
          url: `${t.sink.url}/x`,
          status: 'stopped',
          delivery: { maxBatchBytes },
        });
      const low = await t.proxy.api('POST', '/api/subscriptions', body(100));
      expect(low.status).toBe(400);
      expect(low.body.message).toEqual(['delivery.maxBatchBytes: must be at least 1024']);
      const high = await t.proxy.api('POST', '/api/subscriptions', body(65 * 1024 * 1024));
      expect(high.status).toBe(400);
      expect(high.body.message).toEqual(['delivery.maxBatchBytes: must be at most 67108864']);
      const ok = await t.proxy.api('POST', '/api/subscriptions', body(4096));
      expect(ok.status).toBe(201);
      const patched = await t.proxy.api('PATCH', `/api/subscriptions/${ok.body.id}`, { delivery: { maxBatchBytes: 'big' } });
      expect(patched.status).toBe(400);
      expect(patched.body.message).toEqual(['delivery.maxBatchBytes: must be a number']);
      expect((await t.proxy.api('GET', `/api/subscriptions/${ok.body.id}`)).body.delivery.maxBatchBytes).toBe(4096);
    });
  });
});
