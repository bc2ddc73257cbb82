import { subscriptionBody, unique } from './support/fixtures';
import { useTestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

/** Issue 14 items 5, 6 and 9 against a real broker, a real proxy process and a real sink. */
describe('exact values: numbers, non-ASCII paths, empty success answers', () => {
  const t = useTestWorld();
  const raw = async (path: string) => (await fetch(t.proxy.baseUrl + path)).text();
  const deadLetters = async (id: number) => (await t.proxy.api('GET', `/api/dead-letters?subscriptionId=${id}`)).body as unknown[];
  const delivered = (path: string) => t.sink.requests.filter((r) => r.path === path);
  /** Creates a running subscription on a new topic; splice rewrites the request text (for numbers JSON.stringify cannot write). */
  const subscribe = async (
    path: string,
    extra: { etl?: unknown; endpoint?: Record<string, unknown>; delivery?: Record<string, unknown> },
    splice = (s: string) => s,
  ) => {
    const topic = unique('exact');
    await t.kafka.createTopic(topic, 1);
    const body = subscriptionBody({ name: unique('exact-sub'), brokers: t.kafka.bootstrap, topic, url: `${t.sink.url}${path}`, ...extra });
    const res = await t.proxy.api('POST', '/api/subscriptions', splice(JSON.stringify(body)));
    expect(res.status).toBe(201);
    return { topic, sub: res.body };
  };

  it('projects fields with their original number text and filters on exact values', async () => {
    const { topic, sub } = await subscribe(
      '/exact',
      { etl: { filter: [{ path: '$.id', op: 'in', value: ['FILTER'] }], fields: { id: '$.id', amt: '$.amt', name: '$.user.名前' } } },
      (text) => text.replace('["FILTER"]', '[9007199254740993,1.50]'),
    );
    const stored = await raw(`/api/subscriptions/${sub.id}`);
    expect(stored).toContain('"value":[9007199254740993,1.50]');

    await t.client.produce(topic, [
      { value: '{"id":9007199254740992,"amt":1,"user":{"名前":"次郎"}}' },
      { value: '{"id":9007199254740993,"amt":0.1000000000000000055511151231257827,"user":{"名前":"太郎"}}' },
      { value: '{"id":1.5,"amt":1e400,"user":{"名前":"花子"}}' },
    ]);
    await waitFor(async () => (await t.client.committed(sub.kafka.groupId, topic, 1))[0] === 3, 'all three records done');
    expect(delivered('/exact').map((r) => r.body)).toEqual([
      '{"id":9007199254740993,"amt":0.1000000000000000055511151231257827,"name":"太郎"}',
      '{"id":1.5,"amt":1e400,"name":"花子"}',
    ]);
    expect(await deadLetters(sub.id)).toEqual([]);
  });

  it('refuses a setting a double cannot hold, naming the field', async () => {
    const body = subscriptionBody({ name: unique('bad-num'), brokers: t.kafka.bootstrap, topic: unique('t'), url: `${t.sink.url}/x` });
    const text = JSON.stringify(body).replace('"timeoutMs":2000', '"timeoutMs":9007199254740993').replace('"maxRetries":2', '"maxRetries":2e0');
    const res = await t.proxy.api('POST', '/api/subscriptions', text);
    expect(res.status).toBe(400);
    expect(res.body.message).toEqual([
      'endpoint.timeoutMs: 9007199254740993 cannot be held exactly (a double keeps 15-17 significant digits; the nearest is 9007199254740992)',
    ]);
  });

  it.each([
    ['/empty-204', { status: 204 }],
    ['/empty-200', { status: 200 }],
  ])('an errcodePath subscription takes %s as a success, once', async (path, reply) => {
    t.sink.respond((req) => (req.path === path ? reply : { status: 200, body: { errcode: 0 } }));
    const { topic, sub } = await subscribe(path, { endpoint: { errcodePath: '$.errcode', errcodeOk: [0] } });
    await t.client.produceJson(topic, [{ n: 1 }, { n: 2 }]);
    await waitFor(async () => (await t.client.committed(sub.kafka.groupId, topic, 1))[0] === 2, 'both records committed');
    expect(t.sink.attempts(`${topic}-0-0`)).toBe(1);
    expect(t.sink.attempts(`${topic}-0-1`)).toBe(1);
    expect(await deadLetters(sub.id)).toEqual([]);
    const status = (await t.proxy.api('GET', `/api/subscriptions/${sub.id}/status`)).body;
    expect(status.counters).toMatchObject({ delivered: 2, retried: 0, deadLettered: 0 });
  });

  it('compares a 64-bit errcode exactly', async () => {
    t.sink.respond((req) => ({ status: 200, body: req.body.includes('"n":1') ? '{"errcode":9007199254740993}' : '{"errcode":9007199254740992}' }));
    const { topic, sub } = await subscribe('/errcode64', { endpoint: { errcodePath: '$.errcode', errcodeOk: ['OK'] }, delivery: { maxRetries: 0 } }, (text) =>
      text.replace('["OK"]', '[9007199254740993]'),
    );
    expect(await raw(`/api/subscriptions/${sub.id}`)).toContain('"errcodeOk":[9007199254740993]');
    await t.client.produceJson(topic, [{ n: 1 }, { n: 2 }]);
    const rows = await waitFor(async () => {
      const r = (await deadLetters(sub.id)) as Array<{ offset: number | string; lastError: string }>;
      return r.length === 1 && r;
    }, 'the wrong errcode dead-lettered');
    expect(Number(rows[0].offset)).toBe(1);
    expect(rows[0].lastError).toContain('errcode 9007199254740992 at $.errcode is not one of [9007199254740993]');
  });
});
