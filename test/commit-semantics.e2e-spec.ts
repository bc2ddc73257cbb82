import { subscriptionBody, unique } from './support/fixtures';
import { useTestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

/** Where the partition starts: committed at its first assignment, before any record is delivered. */
const START = 0;

describe('offsets are committed only after success', () => {
  const t = useTestWorld({ proxy: false });

  const startProxy = (env: Record<string, string> = {}) => t.world.startProxy({ env });

  it('delivers again after a crash between delivery and commit', async () => {
    const topic = unique('crash');
    await t.kafka.createTopic(topic, 1);
    // A commit floor longer than the test: the start position is committed at the assignment,
    // the delivered record never is.
    const first = await startProxy({ COMMIT_INTERVAL_MS: '3600000' });
    const res = await first.api(
      'POST',
      '/api/subscriptions',
      subscriptionBody({ name: unique('crash'), brokers: t.kafka.bootstrap, topic, url: `${t.sink.url}/crash` }),
    );
    expect(res.status).toBe(201);
    const groupId = res.body.kafka.groupId;
    await t.client.produceJson(topic, [{ n: 1 }]);
    const key = `${topic}-0-0`;
    await waitFor(() => t.sink.attempts(key) === 1, 'the first delivery');
    await first.kill();
    expect(await t.client.committed(groupId, topic, 1)).toEqual([START]);

    await startProxy();
    await waitFor(() => t.sink.attempts(key) === 2, 'the record delivered again after the crash', { timeoutMs: 60_000 });
    await waitFor(async () => (await t.client.committed(groupId, topic, 1))[0] === 1, 'the commit after the redelivery');
  });

  it('commits nothing while the endpoint keeps failing, then moves on once it recovers', async () => {
    const topic = unique('failing');
    await t.kafka.createTopic(topic, 1);
    let healthy = false;
    t.sink.respond((req) => (req.path === '/flaky' && !healthy ? { status: 503, body: 'down' } : { status: 200, body: { errcode: 0 } }));
    const proxy = await startProxy();
    const res = await proxy.api(
      'POST',
      '/api/subscriptions',
      subscriptionBody({
        name: unique('failing'),
        brokers: t.kafka.bootstrap,
        topic,
        url: `${t.sink.url}/flaky`,
        delivery: { maxRetries: 1000, backoffMs: 10, maxBackoffMs: 40 },
      }),
    );
    const groupId = res.body.kafka.groupId;
    await t.client.produceJson(topic, [{ n: 1 }, { n: 2 }]);
    const key = `${topic}-0-0`;
    await waitFor(() => t.sink.attempts(key) >= 8, 'several failed attempts');
    expect(await t.client.committed(groupId, topic, 1)).toEqual([START]);
    expect(t.sink.attempts(`${topic}-0-1`)).toBe(0);
    healthy = true;
    await waitFor(() => t.sink.attempts(`${topic}-0-1`) === 1, 'the next record after recovery');
    await waitFor(async () => (await t.client.committed(groupId, topic, 1))[0] === 2, 'commit after recovery');
    const dead = await proxy.api('GET', `/api/dead-letters?subscriptionId=${res.body.id}`);
    expect(dead.body).toEqual([]);
    t.sink.respond(() => ({ status: 200, body: { errcode: 0 } }));
  });
});
