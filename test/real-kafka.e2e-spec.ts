import { KafkaConsumer, KafkaJS } from '@confluentinc/kafka-javascript';
import { subscriptionBody, unique } from './support/fixtures';
import { realKafka, useTestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

/**
 * What only a real broker shows, on the run's shared Apache Kafka: transaction markers and
 * aborted records, ListOffsets by timestamp, member-less offset commits for resets, and the
 * KIP-848 consumer group protocol.
 */
describe('on a real Kafka: transactions, resets through the group coordinator, KIP-848', () => {
  const t = useTestWorld({ proxy: { env: { RESET_WAIT_TIMEOUT_MS: '4000' } } });

  const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => i + from);
  const received = (path: string) => t.sink.requests.filter((r) => r.path === `/${path}`);
  const status = async (id: number) => (await t.proxy.api('GET', `/api/subscriptions/${id}/status`)).body;

  async function subscribe(path: string, partitions: number, extra: Record<string, unknown> = {}) {
    const topic = unique(path);
    await realKafka(t.kafka).createTopic(topic, partitions);
    const body = subscriptionBody({ name: unique(path), brokers: t.kafka.bootstrap, topic, url: `${t.sink.url}/${path}` });
    Object.assign(body.kafka as object, extra);
    const res = await t.proxy.api('POST', '/api/subscriptions', body);
    expect(res.status).toBe(201);
    return { topic, sub: res.body as { id: number; kafka: { groupId: string; groupProtocol: string } } };
  }

  it('never delivers records of aborted transactions, delivers committed ones, and reaches lag 0 past the markers', async () => {
    const { topic, sub } = await subscribe('transactions', 1);
    const kafka = new KafkaJS.Kafka({ kafkaJS: { brokers: t.kafka.bootstrap.split(','), logLevel: KafkaJS.logLevel.NOTHING } });
    const producer = kafka.producer({ kafkaJS: { transactionalId: unique('tx'), idempotent: true, maxInFlightRequests: 1 } });
    await producer.connect();
    try {
      const send = async (values: string[], outcome: 'commit' | 'abort') => {
        const tx = await producer.transaction();
        await tx.send({ topic, messages: values.map((v) => ({ value: JSON.stringify({ v }) })) });
        await (outcome === 'commit' ? tx.commit() : tx.abort());
      };
      await send(['c1', 'c2'], 'commit');
      await send(['a1', 'a2', 'a3'], 'abort');
      await send(['c3'], 'commit');
      await send(['a4'], 'abort');
    } finally {
      await producer.disconnect();
    }
    // Offsets: c1 0, c2 1, marker 2 | a1-a3 3-5, marker 6 | c3 7, marker 8 | a4 9, marker 10: the log ends at 11.
    const settled = await waitFor(
      async () => {
        const st = await status(sub.id);
        return st.partitions[0]?.highWatermark === 11 && st.partitions[0]?.lag === 0 && st;
      },
      'the committed offset to pass the last marker',
      { timeoutMs: 30_000 },
    );
    expect(settled.partitions[0]).toMatchObject({ committedOffset: 11, highWatermark: 11, lag: 0 });
    expect(received('transactions').map((r) => JSON.parse(r.body).v)).toEqual(['c1', 'c2', 'c3']);
    expect(received('transactions').map((r) => Number(r.headers['x-kafka-offset']))).toEqual([0, 1, 7]);
  });

  it('resolves a timestamp reset by the broker (ListOffsets), reading no records', async () => {
    const { topic, sub } = await subscribe('by-time', 2);
    const t0 = Date.now() - 60_000;
    await t.client.produce(
      topic,
      range(8).map((i) => ({ value: JSON.stringify({ i }), partition: i % 2, timestamp: t0 + i * 1000 })),
    );
    await waitFor(() => received('by-time').length === 8, 'first pass');
    const res = await t.proxy.api('POST', `/api/subscriptions/${sub.id}/offsets/reset`, { to: 'timestamp', timestamp: t0 + 4500, restart: true });
    // Partition 0 holds i = 0,2,4,6 at offsets 0..3 (i seconds after t0); partition 1 holds 1,3,5,7.
    expect(res).toEqual({
      status: 200,
      body: {
        partitions: [
          { partition: 0, offset: 3 },
          { partition: 1, offset: 2 },
        ],
      },
    });
    const logged = t.proxy.logs.find((l) => l.msg === 'offsets reset' && l.subscription === sub.id);
    expect(logged).toMatchObject({ to: 'timestamp', method: 'offset-commit', searchedPartitions: [] });
    await waitFor(() => received('by-time').length === 11, 'the replay of i = 5, 6 and 7');
  });

  it('resets right after another client read the group offsets, by member-less commits, and names a member that stays', async () => {
    const partitions = 4;
    const { topic, sub } = await subscribe('reset-seq', partitions);
    await t.client.produce(
      topic,
      range(12).map((i) => ({ value: JSON.stringify({ i }), partition: i % partitions })),
    );
    await waitFor(() => received('reset-seq').length === 12, 'first pass');
    await waitFor(async () => (await t.client.committed(sub.kafka.groupId, topic, partitions)).every((o) => o === 3), 'every partition committed');

    // The reported sequence: a client reads the committed offsets with the same group.id, then
    // resets follow with restart: true.
    expect(await t.client.committed(sub.kafka.groupId, topic, partitions)).toEqual([3, 3, 3, 3]);
    const earliest = await t.proxy.api('POST', `/api/subscriptions/${sub.id}/offsets/reset`, { to: 'earliest', restart: true });
    expect(earliest).toEqual({ status: 200, body: { partitions: range(partitions).map((partition) => ({ partition, offset: 0 })) } });
    await waitFor(() => received('reset-seq').length === 24, 'the replay from earliest');
    const explicit = await t.proxy.api('POST', `/api/subscriptions/${sub.id}/offsets/reset`, {
      to: 'offsets',
      offsets: [{ partition: 2, offset: 1 }],
      restart: true,
    });
    expect(explicit).toEqual({ status: 200, body: { partitions: [{ partition: 2, offset: 1 }] } });
    await waitFor(() => received('reset-seq').length === 26, 'the replay of partition 2 from offset 1');
    const methods = t.proxy.logs.filter((l) => l.msg === 'offsets reset' && l.subscription === sub.id).map((l) => l.method);
    expect(methods).toEqual(['offset-commit', 'offset-commit']);

    // A consumer outside kproxy that stays in the group: the reset says who it is and changes nothing.
    await t.proxy.api('POST', `/api/subscriptions/${sub.id}/stop`);
    const outsider = new KafkaConsumer(
      { 'metadata.broker.list': t.kafka.bootstrap, 'group.id': sub.kafka.groupId, 'client.id': 'outside-reader', log_level: 0 },
      {},
    );
    await new Promise<void>((resolve, reject) => outsider.connect({}, (err) => (err ? reject(err) : resolve())));
    try {
      outsider.subscribe([topic]);
      outsider.setDefaultConsumeTimeout(100);
      let polling = true;
      const poll = (async () => {
        while (polling) await new Promise<void>((resolve) => outsider.consume(10, () => resolve()));
      })();
      try {
        const refused = await waitFor(
          async () => {
            const res = await t.proxy.api('POST', `/api/subscriptions/${sub.id}/offsets/reset`, { to: 'earliest' });
            return res.status === 409 && /has active members/.test(String(res.body.message)) && res;
          },
          'a refusal naming the outside member',
          { timeoutMs: 30_000, intervalMs: 500 },
        );
        expect(refused.body.message).toMatch(
          /the new offsets were not committed: group ".*" has active members \(outside-reader at .*\); stop every consumer of this group outside kproxy and try again \(gave up after 4000 ms\)/,
        );
      } finally {
        polling = false;
        await poll;
      }
    } finally {
      await new Promise<void>((resolve) => outsider.disconnect(() => resolve()));
    }
    expect((await t.proxy.api('GET', `/api/subscriptions/${sub.id}`)).body.status).toBe('stopped');
  });

  it('consumes and commits under the KIP-848 consumer group protocol, and resets its group', async () => {
    const { topic, sub } = await subscribe('kip848', 3, { groupProtocol: 'consumer' });
    expect(sub.kafka.groupProtocol).toBe('consumer');
    await t.client.produce(
      topic,
      range(30).map((i) => ({ key: `k${i % 5}`, value: JSON.stringify({ i }), partition: i % 3 })),
    );
    await waitFor(() => received('kip848').length === 30, 'thirty deliveries');
    await waitFor(async () => (await status(sub.id)).partitions.every((p: { lag: number }) => p.lag === 0), 'lag 0 on every partition');
    const res = await t.proxy.api('POST', `/api/subscriptions/${sub.id}/offsets/reset`, { to: 'earliest', restart: true });
    expect(res.status).toBe(200);
    await waitFor(() => received('kip848').length === 60, 'the replay');
    expect(t.proxy.logs.some((l) => l.msg === 'kafka client error' && l.subscription === sub.id)).toBe(false);
  });
});
