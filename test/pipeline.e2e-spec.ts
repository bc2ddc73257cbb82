import { subscriptionBody, unique } from './support/fixtures';
import { useTestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

describe('data path: filter, flatten, deliver, commit', () => {
  const t = useTestWorld();

  it('continues a W3C trace context and forwards mapped record headers', async () => {
    const topic = unique('traced');
    await t.kafka.createTopic(topic, 1);
    const res = await t.proxy.api(
      'POST',
      '/api/subscriptions',
      subscriptionBody({
        name: unique('traced-sub'),
        brokers: t.kafka.bootstrap,
        topic,
        url: `${t.sink.url}/traced`,
        endpoint: { recordHeaders: { tenant: 'X-Tenant-Id' } },
      }),
    );
    expect(res.status).toBe(201);
    expect(res.body.endpoint.recordHeaders).toEqual({ tenant: 'X-Tenant-Id' });
    const parent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await t.client.produce(topic, [
      { value: JSON.stringify({ n: 1 }), headers: { traceparent: parent, tracestate: 'shop=1', tenant: 'acme', other: 'x' } },
      { value: JSON.stringify({ n: 2 }) },
    ]);
    const got = await waitFor(() => {
      const rs = t.sink.requests.filter((r) => r.path === '/traced');
      return rs.length === 2 && rs;
    }, 'two deliveries');
    const traced = got.find((r) => r.body.includes('"n":1'))!;
    expect(traced.headers.traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    expect(traced.headers.traceparent).not.toBe(parent);
    expect(traced.headers.tracestate).toBe('shop=1');
    expect(traced.headers['x-tenant-id']).toBe('acme');
    expect(traced.headers.other).toBeUndefined();
    const plain = got.find((r) => r.body.includes('"n":2'))!;
    expect(plain.headers.traceparent).toBeUndefined();
    expect(plain.headers['x-tenant-id']).toBeUndefined();
  });

  it('filters and flattens records and sends them with the Kafka headers', async () => {
    const topic = unique('orders');
    await t.kafka.createTopic(topic, 2);
    const res = await t.proxy.api(
      'POST',
      '/api/subscriptions',
      subscriptionBody({
        name: unique('orders-sub'),
        brokers: t.kafka.bootstrap,
        topic,
        url: `${t.sink.url}/orders?src=kproxy`,
        etl: {
          filter: [{ path: '$.type', op: 'eq', value: 'order' }],
          fields: { orderId: '$.id', userName: '$.user.name' },
        },
        endpoint: { headers: { 'X-App': 'billing' } },
      }),
    );
    expect(res.status).toBe(201);
    const sub = res.body;
    await t.client.produce(topic, [
      { key: 'k1', value: JSON.stringify({ type: 'order', id: 1, user: { name: 'ann' }, noise: 'x' }), partition: 0 },
      { key: 'k2', value: JSON.stringify({ type: 'refund', id: 2, user: { name: 'bob' } }), partition: 0 },
      { key: 'k3', value: JSON.stringify({ type: 'order', id: 3, user: { name: 'cy' } }), partition: 1 },
    ]);
    const got = await waitFor(() => t.sink.requests.filter((r) => r.path === '/orders?src=kproxy').length === 2 && t.sink.requests, 'two deliveries');
    const first = got.find((r) => r.headers['x-kafka-key'] === 'k1')!;
    expect(JSON.parse(first.body)).toEqual({ orderId: 1, userName: 'ann' });
    expect(first.method).toBe('POST');
    expect(first.headers['x-app']).toBe('billing');
    expect(first.headers['content-type']).toBe('application/json');
    expect(first.headers['x-kafka-topic']).toBe(topic);
    expect(first.headers['x-kafka-partition']).toBe('0');
    expect(first.headers['x-kafka-offset']).toBe('0');
    expect(first.headers['idempotency-key']).toBe(`${topic}-0-0`);
    const third = got.find((r) => r.headers['x-kafka-key'] === 'k3')!;
    expect(JSON.parse(third.body)).toEqual({ orderId: 3, userName: 'cy' });
    // The filtered record is done too: both partitions commit past everything.
    await waitFor(async () => {
      const offsets = await t.client.committed(sub.kafka.groupId, topic, 2);
      return offsets[0] === 2 && offsets[1] === 1;
    }, 'offsets committed past the filtered record');
  });

  it('keeps delivering while other subscriptions point at an unreachable cluster', async () => {
    for (let i = 0; i < 8; i++) {
      const res = await t.proxy.api(
        'POST',
        '/api/subscriptions',
        subscriptionBody({ name: unique('dead'), brokers: '127.0.0.1:1', topic: 'nowhere', url: `${t.sink.url}/never` }),
      );
      expect(res.status).toBe(201);
    }
    const topic = unique('alive');
    await t.kafka.createTopic(topic, 1);
    await t.proxy.api('POST', '/api/subscriptions', subscriptionBody({ name: unique('alive'), brokers: t.kafka.bootstrap, topic, url: `${t.sink.url}/alive` }));
    await t.client.produceJson(topic, [{ ok: true }]);
    // librdkafka's blocking connects to the dead cluster must not starve the healthy consumer.
    await waitFor(() => t.sink.attempts(`${topic}-0-0`) === 1, 'delivery beside eight unreachable subscriptions', { timeoutMs: 8000 });
  });

  it('holds deliveries to ratePerSec', async () => {
    const topic = unique('rated');
    await t.kafka.createTopic(topic, 2);
    await t.client.produce(
      topic,
      Array.from({ length: 30 }, (_, i) => ({ value: JSON.stringify({ i }), partition: i % 2 })),
    );
    await t.proxy.api(
      'POST',
      '/api/subscriptions',
      subscriptionBody({
        name: unique('rated'),
        brokers: t.kafka.bootstrap,
        topic,
        url: `${t.sink.url}/rated`,
        delivery: { ratePerSec: 20, maxInFlight: 8 },
      }),
    );
    const got = await waitFor(() => {
      const r = t.sink.requests.filter((q) => q.path === '/rated');
      return r.length === 30 && r;
    }, 'all 30 records');
    // 30 records at 20/s: the first may go at once, the other 29 are spaced 50 ms apart.
    expect(got[29].at - got[0].at).toBeGreaterThanOrEqual(29 * 50 - 60);
  });
});
