import { createConnection } from 'mysql2/promise';
import { subscriptionBody, unique } from './support/fixtures';
import { TEST_DATABASE_URL } from './support/test-env';
import { useTestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

describe('control plane: stop/start, replay, status, dead letters', () => {
  const t = useTestWorld({ proxy: { env: { RESET_WAIT_TIMEOUT_MS: '20000' } } });

  async function subscribe(path: string, partitions = 1, extra: Record<string, unknown> = {}) {
    const topic = unique(path);
    await t.kafka.createTopic(topic, partitions);
    const res = await t.proxy.api(
      'POST',
      '/api/subscriptions',
      subscriptionBody({ name: unique(path), brokers: t.kafka.bootstrap, topic, url: `${t.sink.url}/${path}`, ...extra }),
    );
    expect(res.status).toBe(201);
    return { topic, sub: res.body as { id: number; kafka: { groupId: string } } };
  }

  const received = (path: string) => t.sink.requests.filter((r) => r.path === `/${path}`);
  const attemptsOf = (topic: string, offsets: number[], partition = 0) => offsets.map((o) => t.sink.attempts(`${topic}-${partition}-${o}`));
  const status = async (id: number) => (await t.proxy.api('GET', `/api/subscriptions/${id}/status`)).body;
  const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => i + from);

  it('delivers nothing while stopped, reports lag, and resumes without loss on start', async () => {
    const { topic, sub } = await subscribe('stopstart');
    await t.client.produceJson(
      topic,
      range(5).map((i) => ({ i })),
    );
    await waitFor(() => received('stopstart').length === 5, 'the first five');
    await waitFor(async () => (await status(sub.id)).partitions[0]?.lag === 0, 'lag 0 after draining');

    expect((await t.proxy.api('POST', `/api/subscriptions/${sub.id}/stop`)).body.status).toBe('stopped');
    await t.client.produceJson(
      topic,
      range(5, 5).map((i) => ({ i })),
    );
    const stopped = await status(sub.id);
    expect(stopped).toMatchObject({
      id: sub.id,
      status: 'stopped',
      instances: [],
      partitions: [{ partition: 0, committedOffset: 5, highWatermark: 10, lag: 5 }],
      counters: { consumed: 5, delivered: 5, filtered: 0, retried: 0, deadLettered: 0, commitFailures: 0 },
    });
    expect(received('stopstart')).toHaveLength(5);

    await t.proxy.api('POST', `/api/subscriptions/${sub.id}/start`);
    await waitFor(() => received('stopstart').length === 10, 'the five produced while stopped');
    expect(attemptsOf(topic, range(10))).toEqual(range(10).map(() => 1));
    const running = await waitFor(async () => {
      const st = await status(sub.id);
      return st.partitions[0]?.lag === 0 && st;
    }, 'lag 0 again');
    expect(running.instances).toEqual([
      {
        instanceId: expect.any(String),
        state: 'running',
        partitions: [0],
        endpoint: {
          circuit: expect.objectContaining({ state: 'closed', enabled: true, opens: 0, probes: 0, openForMs: 0 }),
          inFlightLimit: expect.any(Number),
          maxInFlight: 4,
          adaptive: true,
        },
      },
    ]);
    expect(running.counters.delivered).toBe(10);
    const metrics = (await t.proxy.api('GET', '/metrics')).body as string;
    expect(metrics).toMatch(new RegExp(`kproxy_consumer_lag\\{subscription="${sub.id}",partition="0"\\} 0`));
  });

  it('says in the status when the topic does not exist, and delivers once it does', async () => {
    const topic = unique('missing-topic');
    const res = await t.proxy.api(
      'POST',
      '/api/subscriptions',
      subscriptionBody({ name: unique('missing-topic'), brokers: t.kafka.bootstrap, topic, url: `${t.sink.url}/missing-topic` }),
    );
    expect(res.status).toBe(201);
    expect((await status(res.body.id)).kafkaError).toBe(`topic "${topic}" does not exist on ${t.kafka.bootstrap}; the subscription waits for it`);
    await t.kafka.createTopic(topic, 1);
    await t.client.produceJson(topic, [{ n: 1 }]);
    await waitFor(() => received('missing-topic').length === 1, 'the record once the topic exists', { timeoutMs: 60_000 });
    expect((await status(res.body.id)).kafkaError).toBeUndefined();
  });

  it('replays from earliest while running, with restart', async () => {
    const { topic, sub } = await subscribe('earliest');
    await t.client.produceJson(
      topic,
      range(4).map((i) => ({ i })),
    );
    await waitFor(() => received('earliest').length === 4, 'first pass');
    const res = await t.proxy.api('POST', `/api/subscriptions/${sub.id}/offsets/reset`, { to: 'earliest', restart: true });
    expect(res).toEqual({ status: 200, body: { partitions: [{ partition: 0, offset: 0 }] } });
    await waitFor(() => received('earliest').length === 8, 'the replay');
    expect(attemptsOf(topic, range(4))).toEqual([2, 2, 2, 2]);
    expect((await t.proxy.api('GET', `/api/subscriptions/${sub.id}`)).body.status).toBe('running');
  });

  it('skips to latest without restarting, then delivers only what comes after the start', async () => {
    const { topic, sub } = await subscribe('latest');
    await t.client.produceJson(topic, [{ i: 0 }]);
    await waitFor(() => received('latest').length === 1, 'first record');
    await t.proxy.api('POST', `/api/subscriptions/${sub.id}/stop`);
    await t.client.produceJson(
      topic,
      range(3, 1).map((i) => ({ i })),
    );
    const res = await t.proxy.api('POST', `/api/subscriptions/${sub.id}/offsets/reset`, { to: 'latest' });
    expect(res).toEqual({ status: 200, body: { partitions: [{ partition: 0, offset: 4 }] } });
    expect((await t.proxy.api('GET', `/api/subscriptions/${sub.id}`)).body.status).toBe('stopped');
    await t.proxy.api('POST', `/api/subscriptions/${sub.id}/start`);
    await t.client.produceJson(topic, [{ i: 4 }]);
    await waitFor(() => t.sink.attempts(`${topic}-0-4`) === 1, 'the record after the start');
    expect(attemptsOf(topic, range(5))).toEqual([1, 0, 0, 0, 1]);
  });

  it('replays from a timestamp', async () => {
    const { topic, sub } = await subscribe('timestamp');
    const t0 = Date.now() - 60_000;
    await t.client.produce(
      topic,
      range(4).map((i) => ({ value: JSON.stringify({ i }), timestamp: t0 + i * 1000 })),
    );
    await waitFor(() => received('timestamp').length === 4, 'first pass');
    const res = await t.proxy.api('POST', `/api/subscriptions/${sub.id}/offsets/reset`, { to: 'timestamp', timestamp: t0 + 1500, restart: true });
    expect(res).toEqual({ status: 200, body: { partitions: [{ partition: 0, offset: 2 }] } });
    await waitFor(() => received('timestamp').length === 6, 'the replay from offset 2');
    expect(attemptsOf(topic, range(4))).toEqual([1, 1, 2, 2]);
  });

  it('replays from explicit offsets, and refuses partitions and offsets that do not exist', async () => {
    const { topic, sub } = await subscribe('explicit', 2);
    await t.client.produce(
      topic,
      range(6).map((i) => ({ value: JSON.stringify({ i }), partition: i % 2 })),
    );
    await waitFor(() => received('explicit').length === 6, 'first pass');

    const missing = await t.proxy.api('POST', `/api/subscriptions/${sub.id}/offsets/reset`, { to: 'offsets', offsets: [{ partition: 7, offset: 0 }] });
    expect(missing.status).toBe(409);
    expect(missing.body.message).toEqual([expect.stringContaining('partition 7 does not exist')]);
    const beyond = await t.proxy.api('POST', `/api/subscriptions/${sub.id}/offsets/reset`, { to: 'offsets', offsets: [{ partition: 0, offset: 99 }] });
    expect(beyond.status).toBe(409);
    expect(beyond.body.message).toEqual(["offset 99 is outside partition 0's range 0..3"]);
    // Refused resets leave the subscription running.
    expect((await t.proxy.api('GET', `/api/subscriptions/${sub.id}`)).body.status).toBe('running');

    const res = await t.proxy.api('POST', `/api/subscriptions/${sub.id}/offsets/reset`, {
      to: 'offsets',
      offsets: [{ partition: 1, offset: 2 }],
      restart: true,
    });
    expect(res).toEqual({ status: 200, body: { partitions: [{ partition: 1, offset: 2 }] } });
    await waitFor(() => received('explicit').length === 7, 'the replay of partition 1 from offset 2');
    expect(attemptsOf(topic, [0, 1, 2], 1)).toEqual([1, 1, 2]);
    expect(attemptsOf(topic, [0, 1, 2], 0)).toEqual([1, 1, 1]);
  });

  it('validates reset bodies and refuses a second reset while one holds the lock', async () => {
    const { sub } = await subscribe('resetlock');
    const bad = await t.proxy.api('POST', `/api/subscriptions/${sub.id}/offsets/reset`, { to: 'yesterday', restart: 'yes' });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toEqual(['to: must be one of earliest, latest, timestamp, offsets', 'restart: must be true or false']);
    const noTs = await t.proxy.api('POST', `/api/subscriptions/${sub.id}/offsets/reset`, { to: 'timestamp' });
    expect(noTs.body.message).toEqual(['timestamp: is required when "to" is "timestamp"']);
    expect((await t.proxy.api('POST', '/api/subscriptions/424242/offsets/reset', { to: 'earliest' })).status).toBe(404);

    const conn = await createConnection(TEST_DATABASE_URL);
    try {
      await conn.query('SELECT GET_LOCK(?, 0)', [`kproxy.offset-reset.${sub.id}`]);
      const busy = await t.proxy.api('POST', `/api/subscriptions/${sub.id}/offsets/reset`, { to: 'earliest' });
      expect(busy.status).toBe(409);
      expect(busy.body.message).toContain('already running');
    } finally {
      await conn.end();
    }
  });

  it('restarts only the consumer whose Kafka settings changed, and follows SQL updates', async () => {
    const a = await subscribe('kafka-a');
    const b = await subscribe('kafka-b');
    await t.client.produceJson(a.topic, [{ n: 1 }]);
    await t.client.produceJson(b.topic, [{ n: 1 }]);
    await waitFor(() => received('kafka-a').length === 1 && received('kafka-b').length === 1, 'both running');
    const starts = (id: number) => t.proxy.logs.filter((l) => l.msg === 'consumer started' && l.subscription === id).length;
    const [startsA, startsB] = [starts(a.sub.id), starts(b.sub.id)];
    const newTopic = unique('moved');
    await t.kafka.createTopic(newTopic, 1);
    await t.proxy.api('PATCH', `/api/subscriptions/${a.sub.id}`, { kafka: { topic: newTopic } });
    await waitFor(() => starts(a.sub.id) === startsA + 1, 'A restarted');
    expect(starts(b.sub.id)).toBe(startsB);

    const conn = await createConnection(TEST_DATABASE_URL);
    await conn.query('UPDATE endpoints e JOIN subscriptions s ON s.endpoint_id = e.id SET e.url = ? WHERE s.id = ?', [`${t.sink.url}/kafka-b-sql`, b.sub.id]);
    await conn.end();
    await t.proxy.api('POST', '/api/config/refresh');
    await t.client.produceJson(b.topic, [{ n: 2 }]);
    await waitFor(() => t.sink.requests.some((r) => r.path === '/kafka-b-sql'), 'delivery to the URL set with SQL');
    expect(starts(b.sub.id)).toBe(startsB);
  });

  describe('dead letters', () => {
    let healthy = false;
    let topic: string;
    let subId: number;

    beforeAll(async () => {
      t.sink.respond((req) =>
        req.path === '/dl' && !healthy ? { status: 500, body: { error: 'down for maintenance' } } : { status: 200, body: { errcode: 0 } },
      );
      const s = await subscribe('dl', 1, { delivery: { maxRetries: 0, backoffMs: 1, maxBackoffMs: 1 } });
      topic = s.topic;
      subId = s.sub.id;
      await t.client.produceJson(
        topic,
        range(5).map((i) => ({ i })),
      );
      await waitFor(async () => (await t.proxy.api('GET', `/api/dead-letters?subscriptionId=${subId}`)).body.length === 5, 'five dead letters');
    });

    const list = async (query: string) =>
      (await t.proxy.api('GET', `/api/dead-letters?${query}`)).body as Array<{
        id: number;
        offset: number;
        state: string;
        attempts: number;
        lastError: string;
      }>;

    it('lists with filters and pages by id', async () => {
      const page1 = await list(`subscriptionId=${subId}&state=pending&limit=2`);
      expect(page1.map((d) => d.offset)).toEqual([4, 3]);
      const page2 = await list(`subscriptionId=${subId}&limit=2&beforeId=${page1[1].id}`);
      expect(page2.map((d) => d.offset)).toEqual([2, 1]);
      expect(await list(`subscriptionId=${subId}&topic=${topic}&state=redelivered`)).toEqual([]);
      const bad = await t.proxy.api('GET', '/api/dead-letters?limit=9999&state=lost');
      expect(bad.status).toBe(400);
      expect(bad.body.message).toEqual(['state: must be one of pending, redelivered, discarded', 'limit: must be at most 500']);
    });

    it('keeps a failed re-delivery pending with the new error, and marks a successful one redelivered', async () => {
      const [first] = await list(`subscriptionId=${subId}&limit=1`);
      const failed = await t.proxy.api('POST', `/api/dead-letters/${first.id}/redeliver`);
      expect(failed.status).toBe(200);
      expect(failed.body).toMatchObject({ state: 'pending', attempts: first.attempts + 1, lastStatus: 500 });
      healthy = true;
      const ok = await t.proxy.api('POST', `/api/dead-letters/${first.id}/redeliver`);
      expect(ok.body).toMatchObject({ state: 'redelivered', attempts: first.attempts + 2 });
      expect(t.sink.attempts(`${topic}-0-${first.offset}`)).toBe(first.attempts + 2);
      const again = await t.proxy.api('POST', `/api/dead-letters/${first.id}/redeliver`);
      expect(again.status).toBe(409);
      expect((await t.proxy.api('POST', '/api/dead-letters/99999999/redeliver')).status).toBe(404);
    });

    it('lets only one caller re-deliver a row at a time', async () => {
      const rows = await list(`subscriptionId=${subId}&state=pending`);
      const row = rows[rows.length - 1];
      healthy = false;
      t.sink.respond((req) => (req.path === '/dl' ? { status: 500, delayMs: 800 } : { status: 200 }));
      const [a, b] = await Promise.all([
        t.proxy.api('POST', `/api/dead-letters/${row.id}/redeliver`),
        new Promise((r) => setTimeout(r, 100)).then(() => t.proxy.api('POST', `/api/dead-letters/${row.id}/redeliver`)),
      ]);
      expect([a.status, b.status]).toEqual([200, 409]);
      expect(b.body.message).toContain('being redelivered');
      t.sink.respond((req) => (req.path === '/dl' && !healthy ? { status: 500 } : { status: 200, body: { errcode: 0 } }));
      healthy = true;
    });

    it('discards one, then redelivers the rest in bulk', async () => {
      const pending = await list(`subscriptionId=${subId}&state=pending`);
      expect(pending).toHaveLength(4);
      const discarded = await t.proxy.api('POST', `/api/dead-letters/${pending[0].id}/discard`);
      expect(discarded.body.state).toBe('discarded');
      const bulk = await t.proxy.api('POST', '/api/dead-letters/redeliver', { subscriptionId: subId });
      // The documented counts, plus what the bounded bulk call added (the job it ran, whether more were pending).
      expect(bulk.body).toMatchObject({ redelivered: 3, failed: 0, discarded: 0, state: 'done', more: false });
      expect(Object.keys(bulk.body).sort()).toEqual(['discarded', 'failed', 'jobId', 'more', 'redelivered', 'state']);
      expect(await list(`subscriptionId=${subId}&state=pending`)).toEqual([]);
      expect(t.sink.attempts(`${topic}-0-${pending[0].offset}`)).toBe(1);
      const bad = await t.proxy.api('POST', '/api/dead-letters/redeliver', { subscriptionId: 'all' });
      expect(bad.status).toBe(400);
    });
  });
});
