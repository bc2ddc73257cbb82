import { createConnection } from 'mysql2/promise';
import type { ProxyProcess } from './support/proxy-process';
import { TEST_DATABASE_URL } from './support/test-env';
import { realKafka } from './support/test-world';
import { subscriptionBody, unique } from './support/fixtures';
import type { ReceivedRequest } from './support/sink-server';
import { useTestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

/**
 * Issue 14, records skipped silently: where a subscription starts is decided once and
 * committed at once; partitions added while running start at their beginning; a committed
 * offset the broker no longer has continues at the log start (counted and alerted); a topic
 * deleted and recreated is detected and its new records delivered. All on the real broker.
 */
describe('start positions survive stops, new partitions, retention and recreated topics', () => {
  const t = useTestWorld({
    responder: (q) => {
      if (q.path.startsWith('/down')) return { status: 503, body: 'down' };
      if (q.path.startsWith('/gate')) return gateOpen ? { status: 200, body: { errcode: 0 } } : { status: 503, body: 'closed' };
      if (q.path.startsWith('/retry')) return retrying.has(q.body) ? { status: 503, body: 'not yet' } : { status: 200, body: { errcode: 0 } };
      return { status: 200, body: { errcode: 0 } };
    },
    proxy: false,
  });
  /** Bodies the /retry endpoint refuses for now. */
  const retrying = new Set<string>();
  let gateOpen = false;
  let proxy: ProxyProcess;

  beforeAll(async () => {
    // A small partition buffer: a partition whose head is stuck pauses after 50 records, so its
    // fetch position stays behind (the retention scenario needs that).
    proxy = await t.world.startProxy({ env: { ALERT_EVALUATE_INTERVAL_MS: '200', PARTITION_BUFFER_SIZE: '5' } });
  });

  const at = (path: string) => t.sink.requests.filter((q) => q.path === path && q.status !== undefined);
  const bodies = (path: string) =>
    at(path)
      .filter((q) => q.status === 200)
      .map((q: ReceivedRequest) => JSON.parse(q.body));
  const hooks = (path: string) => t.sink.requests.filter((q) => q.path === path).map((q) => JSON.parse(q.body));

  async function subscribe(
    topic: string,
    path: string,
    extra: { kafka?: Record<string, unknown>; delivery?: Record<string, unknown>; alerts?: Record<string, unknown> } = {},
  ) {
    const body = subscriptionBody({ name: unique(path.slice(1)), brokers: t.kafka.bootstrap, topic, url: `${t.sink.url}${path}`, delivery: extra.delivery });
    Object.assign(body.kafka as Record<string, unknown>, extra.kafka);
    if (extra.alerts) body.alerts = extra.alerts;
    const res = await proxy.api('POST', '/api/subscriptions', body);
    expect(res.status).toBe(201);
    return res.body as { id: number; kafka: { groupId: string } };
  }

  /**
   * A one-partition topic `name` and a subscription from latest posting to /<name>, with alerts
   * to /hook-<name>, that has consumed and committed `values`.
   */
  async function consumedFromLatest(name: string, values: unknown[]) {
    const topic = unique(name);
    await t.kafka.createTopic(topic, 1);
    const sub = await subscribe(topic, `/${name}`, {
      kafka: { startFrom: 'latest' },
      alerts: { webhookUrl: `${t.sink.url}/hook-${name}`, format: 'json', cooldownSeconds: 0 },
    });
    await assigned(sub, topic, 1);
    await t.client.produceJson(topic, values);
    await waitFor(async () => (await t.client.committed(sub.kafka.groupId, topic, 1))[0] === values.length, 'the first records committed');
    return { topic, sub };
  }

  /** Waits until this instance owns `partitions` and the group has committed offsets for all of them. */
  async function assigned(sub: { id: number; kafka: { groupId: string } }, topic: string, partitions: number) {
    await waitFor(async () => {
      const status = (await proxy.api('GET', `/api/subscriptions/${sub.id}/status`)).body;
      return status.instances?.[0]?.state === 'running' && status.instances[0].partitions.length === partitions;
    }, 'the partitions to be assigned');
    return waitFor(async () => {
      const committed = await t.client.committed(sub.kafka.groupId, topic, partitions);
      return committed.every((o) => o >= 0) && committed;
    }, 'the start positions to be committed at the assignment');
  }

  async function stopAndStart(sub: { id: number }, between: () => Promise<void>) {
    expect((await proxy.api('POST', `/api/subscriptions/${sub.id}/stop`)).status).toBe(200);
    await waitFor(async () => (await proxy.api('GET', `/api/subscriptions/${sub.id}/status`)).body.instances.length === 0, 'the consumer to stop');
    await between();
    expect((await proxy.api('POST', `/api/subscriptions/${sub.id}/start`)).status).toBe(200);
  }

  async function metric(name: string, subscription: number): Promise<number> {
    const text = (await proxy.api('GET', '/metrics')).body as string;
    const m = new RegExp(`^${name}\\{subscription="${subscription}"[^}]*\\} (\\S+)$`, 'm').exec(text);
    return m ? Number(m[1]) : 0;
  }

  for (const groupProtocol of ['classic', 'consumer'] as const) {
    it(`latest (${groupProtocol} protocol): a record produced while stopped after the assignment is delivered, the older one never`, async () => {
      const topic = unique(`latest-${groupProtocol}`);
      await t.kafka.createTopic(topic, 1);
      await t.client.produceJson(topic, [{ n: 0 }]);
      const path = `/latest-${groupProtocol}`;
      const sub = await subscribe(topic, path, { kafka: { startFrom: 'latest', groupProtocol } });
      // Latest is resolved once, at the assignment, and committed at once: after the old record.
      expect(await assigned(sub, topic, 1)).toEqual([1]);
      await stopAndStart(sub, () => t.client.produceJson(topic, [{ n: 1 }]));
      await waitFor(() => bodies(path).length === 1, 'the record produced while stopped');
      expect(bodies(path)).toEqual([{ n: 1 }]);
    });
  }

  it('latest: records still retrying at the stop, and a partition with no traffic yet, are delivered after the start', async () => {
    const topic = unique('latest-retrying');
    await t.kafka.createTopic(topic, 2);
    const sub = await subscribe(topic, '/retry', { kafka: { startFrom: 'latest' }, delivery: { maxRetries: 1000, backoffMs: 20, maxBackoffMs: 50 } });
    expect(await assigned(sub, topic, 2)).toEqual([0, 0]);
    const first = JSON.stringify({ topic, n: 1 });
    retrying.add(first);
    await t.client.produceJson(topic, [{ topic, n: 1 }], 0);
    await waitFor(() => at('/retry').filter((q) => q.body === first).length >= 3, 'the first record to be retrying');
    await stopAndStart(sub, async () => {
      retrying.delete(first);
      await t.client.produceJson(topic, [{ topic, n: 2 }], 1);
    });
    await waitFor(() => bodies('/retry').filter((b) => b.topic === topic).length === 2, 'both records after the start');
    expect(
      bodies('/retry')
        .filter((b) => b.topic === topic)
        .map((b) => b.n)
        .sort(),
    ).toEqual([1, 2]);
    await waitFor(async () => (await t.client.committed(sub.kafka.groupId, topic, 2)).join() === '1,1', 'both committed');
  });

  for (const groupProtocol of ['classic', 'consumer'] as const)
    it(`a partition added while running starts at its beginning, whatever startFrom says (${groupProtocol})`, async () => {
      const topic = unique('grown');
      await t.kafka.createTopic(topic, 1);
      const path = `/grown-${groupProtocol}`;
      const sub = await subscribe(topic, path, { kafka: { startFrom: 'latest', groupProtocol } });
      await assigned(sub, topic, 1);
      await realKafka(t.kafka).addPartitions(topic, 3);
      // Written at once, long before the consumer's next metadata refresh notices the partitions.
      await t.client.produceJson(topic, [{ p: 1 }], 1);
      await t.client.produceJson(topic, [{ p: 2 }], 2);
      await waitFor(() => bodies(path).length === 2, 'the records of the new partitions', { timeoutMs: 60_000 });
      expect(
        bodies(path)
          .map((b) => b.p)
          .sort(),
      ).toEqual([1, 2]);
      await waitFor(async () => (await t.client.committed(sub.kafka.groupId, topic, 3)).join() === '0,1,1', 'the new partitions committed');
    });

  it('a committed offset below the log start continues at the log start, counts the records that are gone and alerts', async () => {
    const { topic, sub } = await consumedFromLatest('retained', [{ n: 0 }, { n: 1 }, { n: 2 }]);
    await stopAndStart(sub, async () => {
      await t.client.produceJson(
        topic,
        Array.from({ length: 10 }, (_, i) => ({ n: 3 + i })),
      );
      // Retention (here DeleteRecords) removes offsets 3..7 before anyone delivered them.
      await realKafka(t.kafka).deleteRecords(topic, [{ partition: 0, offset: 8 }]);
    });
    await waitFor(() => bodies('/retained').length === 8, 'the retained records');
    // Not the end of the log (latest), where the committed offset would have jumped before.
    expect(bodies('/retained').map((b) => b.n)).toEqual([0, 1, 2, 8, 9, 10, 11, 12]);
    await waitFor(async () => (await metric('kproxy_records_skipped_total', sub.id)) === 5, 'the skipped records counted');
    const alert = await waitFor(() => hooks('/hook-retained').find((a) => a.kind === 'records_skipped'), 'the records_skipped alert');
    expect(alert.details).toEqual({ count: 5 });
    await waitFor(async () => (await t.client.committed(sub.kafka.groupId, topic, 1))[0] === 13, 'the rest committed');
  });

  it("retention passing a running consumer's fetch position: it continues at the log start and counts exactly what is gone", async () => {
    const topic = unique('overtaken');
    await t.kafka.createTopic(topic, 1);
    await t.client.produceJson(
      topic,
      Array.from({ length: 300 }, (_, n) => ({ n })),
    );
    const sub = await subscribe(topic, '/gate', { delivery: { maxRetries: 1000, backoffMs: 20, maxBackoffMs: 50, maxInFlight: 1 } });
    await waitFor(() => at('/gate').length >= 3, 'the head record failing');
    // The partition paused once its window filled: librdkafka dropped its prefetch, and the
    // fetch position is where this consumer stopped reading, far below 200.
    await realKafka(t.kafka).deleteRecords(topic, [{ partition: 0, offset: 200 }]);
    gateOpen = true;
    await waitFor(async () => (await t.client.committed(sub.kafka.groupId, topic, 1))[0] === 300, 'the end committed');
    const delivered = [...new Set(bodies('/gate').map((b) => b.n as number))].sort((a, b) => a - b);
    const skipped = await metric('kproxy_records_skipped_total', sub.id);
    expect(skipped).toBeGreaterThan(0);
    expect(delivered.length + skipped).toBe(300);
    // What was read before the deletion, then everything from the new log start on.
    const read = delivered.filter((n) => n < 200);
    expect(read).toEqual(Array.from({ length: read.length }, (_, n) => n));
    expect(delivered.filter((n) => n >= 200)).toEqual(Array.from({ length: 100 }, (_, i) => 200 + i));
  });

  // 3 new records end before where the partition was; 8 pass it (the rewind shows only in the offsets).
  for (const fresh of [3, 8])
    it(`a topic deleted and recreated under a running subscription, ${fresh} new records: they are delivered, and it is alerted`, async () => {
      const topic = unique(`recreated-${fresh}`);
      await t.kafka.createTopic(topic, 1);
      const sub = await subscribe(topic, `/recreated-${fresh}`, {
        alerts: { webhookUrl: `${t.sink.url}/hook-recreated-${fresh}`, format: 'json', cooldownSeconds: 0 },
      });
      await t.client.produceJson(
        topic,
        Array.from({ length: 5 }, (_, n) => ({ gen: 1, n })),
      );
      await waitFor(async () => (await t.client.committed(sub.kafka.groupId, topic, 1))[0] === 5, 'the first generation committed');
      await realKafka(t.kafka).deleteTopic(topic);
      await t.kafka.createTopic(topic, 1);
      await t.client.produceJson(
        topic,
        Array.from({ length: fresh }, (_, n) => ({ gen: 2, n })),
      );
      // With 8, the consumer first reads the new topic's 5..7 at its old position; the topic id
      // check (every 30 s) then starts it over at 0: 5..7 arrive twice, 0..4 are not skipped.
      const newRecords = () =>
        [
          ...new Set(
            bodies(`/recreated-${fresh}`)
              .filter((b) => b.gen === 2)
              .map((b) => b.n as number),
          ),
        ].sort((a, b) => a - b);
      await waitFor(() => newRecords().length === fresh, "the recreated topic's records", { timeoutMs: 90_000 });
      expect(newRecords()).toEqual(Array.from({ length: fresh }, (_, n) => n));
      await waitFor(async () => (await metric('kproxy_offsets_went_back_total', sub.id)) >= 1, 'the rewind counted');
      await waitFor(() => hooks(`/hook-recreated-${fresh}`).find((a) => a.kind === 'offsets_went_back'), 'the offsets_went_back alert');
      await waitFor(async () => (await t.client.committed(sub.kafka.groupId, topic, 1))[0] === fresh, 'the new topic committed from its start');
      // Noticed under the running consumer: a record below where the partition was, or the topic id.
      expect(proxy.logs.find((l) => l.subscription === sub.id && String(l.msg).startsWith("the partition's offsets went back"))).toMatchObject({ offset: 0 });
    });

  it('a topic deleted and recreated while the subscription was stopped: another topic id, it starts at the new log start, not at latest, and says so', async () => {
    const { topic, sub } = await consumedFromLatest(
      'recreated-stopped',
      Array.from({ length: 5 }, (_, n) => ({ gen: 1, n })),
    );
    await stopAndStart(sub, async () => {
      await realKafka(t.kafka).deleteTopic(topic);
      await t.kafka.createTopic(topic, 1);
      // The broker dropped the group's offsets of the deleted topic.
      expect(await t.client.committed(sub.kafka.groupId, topic, 1)).toEqual([-1001]);
      await t.client.produceJson(topic, [
        { gen: 2, n: 0 },
        { gen: 2, n: 1 },
      ]);
    });
    await waitFor(() => bodies('/recreated-stopped').filter((b) => b.gen === 2).length === 2, "the recreated topic's records");
    // The proxy's log arrives on its own pipe: the line may land after the deliveries.
    const said = () => proxy.logs.find((l) => l.subscription === sub.id && String(l.msg).startsWith('the topic was deleted and recreated since'));
    await waitFor(() => said() !== undefined, 'the recreation logged');
    expect(said()).toMatchObject({
      partition: 0,
      offset: 0,
    });
    await waitFor(async () => (await metric('kproxy_offsets_went_back_total', sub.id)) === 1, 'the recreation counted');
    await waitFor(() => hooks('/hook-recreated-stopped').find((a) => a.kind === 'offsets_went_back'), 'the alert');
    await waitFor(async () => (await t.client.committed(sub.kafka.groupId, topic, 1))[0] === 2, 'the new topic committed');
  });

  it("a week later, Kafka forgot the stopped group's offsets (retention): it starts at the first start, not at latest, and says so", async () => {
    const { topic, sub } = await consumedFromLatest('forgotten', [{ n: 0 }, { n: 1 }]);
    await stopAndStart(sub, async () => {
      await t.client.produceJson(topic, [{ n: 2 }, { n: 3 }]);
      // What offsets.retention.minutes does to an empty group: its offsets are gone.
      await realKafka(t.kafka).deleteGroup(sub.kafka.groupId);
      expect(await t.client.committed(sub.kafka.groupId, topic, 1)).toEqual([-1001]);
      // The first start was long ago (a start recorded a minute ago could be another member's).
      const db = await createConnection(TEST_DATABASE_URL);
      try {
        await db.query('UPDATE consumer_starts SET decided_at = decided_at - INTERVAL 7 DAY WHERE subscription_id = ?', [sub.id]);
      } finally {
        await db.end();
      }
    });
    await waitFor(() => bodies('/forgotten').filter((b) => b.n >= 2).length >= 2, 'the records produced while stopped');
    // From the recorded first start (0): 0 and 1 again, never latest (which would skip 2 and 3).
    expect([...new Set(bodies('/forgotten').map((b) => b.n))].sort()).toEqual([0, 1, 2, 3]);
    expect(proxy.logs.find((l) => l.subscription === sub.id && String(l.msg).startsWith('the group has no committed offsets although'))).toMatchObject({
      partition: 0,
      offset: 0,
    });
    const alert = await waitFor(() => hooks('/hook-forgotten').find((a) => a.kind === 'consumer_error'), 'the alert');
    expect(alert.summary).toMatch(/committed offsets were gone/);
  });

  it('lag of a partition whose head keeps failing after a restart shows in the metric, the status and a lag alert', async () => {
    const topic = unique('stuck');
    await t.kafka.createTopic(topic, 1);
    const sub = await subscribe(topic, '/down', {
      delivery: { maxRetries: 1000, backoffMs: 50, maxBackoffMs: 100, maxInFlight: 1 },
      alerts: { webhookUrl: `${t.sink.url}/hook-stuck`, format: 'json', lagThreshold: 2, lagForSeconds: 1, cooldownSeconds: 600 },
    });
    await t.client.produceJson(topic, [{ n: 0 }, { n: 1 }, { n: 2 }]);
    await waitFor(() => at('/down').length >= 2, 'the head record failing');
    await stopAndStart(sub, async () => undefined);
    const before = at('/down').length;
    await waitFor(() => at('/down').length > before, 'the head failing again after the restart');
    await waitFor(async () => (await metric('kproxy_consumer_lag', sub.id)) === 3, 'kproxy_consumer_lag 3');
    const status = (await proxy.api('GET', `/api/subscriptions/${sub.id}/status`)).body;
    expect(status.partitions).toEqual([{ partition: 0, committedOffset: 0, highWatermark: 3, lag: 3 }]);
    const alert = await waitFor(() => hooks('/hook-stuck').find((a) => a.kind === 'lag'), 'the lag alert');
    expect(alert.details).toMatchObject({ lag: 3, threshold: 2 });
    await proxy.api('POST', `/api/subscriptions/${sub.id}/stop`);
  });

  it('a latest subscription started by two instances at once: every partition starts at the end as it was at the first start, on both', async () => {
    const topic = unique('two-members');
    await t.kafka.createTopic(topic, 4);
    for (let p = 0; p < 4; p++) await t.client.produceJson(topic, [{ old: p }, { old: p }], p);
    const second = await t.world.startProxy();
    try {
      const sub = await subscribe(topic, '/two-members', { kafka: { startFrom: 'latest' } });
      await waitFor(
        async () => {
          const status = (await proxy.api('GET', `/api/subscriptions/${sub.id}/status`)).body;
          return status.instances?.length === 2 && status.instances.every((i: { partitions: number[] }) => i.partitions.length > 0);
        },
        'both instances to own partitions',
        { timeoutMs: 60_000 },
      );
      await waitFor(async () => (await t.client.committed(sub.kafka.groupId, topic, 4)).join() === '2,2,2,2', 'every partition committed at its end');
      for (let p = 0; p < 4; p++) await t.client.produceJson(topic, [{ fresh: p }], p);
      await waitFor(() => bodies('/two-members').length >= 4, 'the new records');
      expect(
        bodies('/two-members')
          .map((b) => b.fresh)
          .sort(),
      ).toEqual([0, 1, 2, 3]);
      expect(bodies('/two-members').filter((b) => b.old !== undefined)).toEqual([]);
    } finally {
      await second.stop();
    }
  });
});
