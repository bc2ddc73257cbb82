import { subscriptionBody, unique } from './support/fixtures';
import { realKafka, useTestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

type Pairs = Array<[string, string]>;
interface PreviewedRecord {
  partition: number;
  offset: number;
  kept: boolean;
  outcome: string;
  reason: string | null;
  body: string | null;
  headers: Pairs | null;
}
interface Preview {
  source: string;
  records: PreviewedRecord[];
  read: { partitions: Array<{ partition: number; from: number; high: number }>; complete: boolean } | null;
}

const SECRET = 'k-secret-4711';

/** Issue 20, steps 2 and 3 (server side): the ETL preview against the topic, and the test delivery. */
describe('ETL preview and test delivery', () => {
  const t = useTestWorld();

  it("previews the topic's last records without touching the group, and the endpoint then receives exactly the previewed requests", async () => {
    const topic = unique('preview');
    await t.kafka.createTopic(topic, 2);
    const spec = subscriptionBody({
      name: unique('preview-sub'),
      brokers: t.kafka.bootstrap,
      topic,
      url: `${t.sink.url}/orders`,
      etl: { filter: [{ path: '$.type', op: 'eq', value: 'order' }], fields: { id: '$.id', total: '$.total', who: '$.user.name' } },
      endpoint: { headers: { 'X-Api-Key': SECRET, 'User-Agent': 'kproxy-test' }, recordHeaders: { tenant: 'X-Tenant' } },
      status: 'stopped',
    });
    const created = await t.proxy.api('POST', '/api/subscriptions', spec);
    expect(created.status).toBe(201);
    const sub = created.body as { id: number; kafka: { groupId: string } };
    await t.client.produce(topic, [
      { partition: 0, key: 'c-1', value: '{"type":"order","id":9007199254740993,"total":12.50,"user":{"name":"ann"}}', headers: { tenant: 'acme' } },
      { partition: 0, value: '{"type":"refund","id":2,"total":1,"user":{"name":"bo"}}' },
      { partition: 1, key: Buffer.from([0, 255]), value: '{"type":"order","id":3,"total":1e400,"user":{"name":"次郎"}}' },
      { partition: 1, value: 'not json' },
      { partition: 1, value: '{"type":"order","id":5,"total":0,"user":{"name":"cy"}}', headers: { tenant: Buffer.from([1, 2]) } },
    ]);

    const stored = await t.proxy.api('POST', `/api/subscriptions/${sub.id}/preview`, { lastRecords: 100 });
    expect(stored.status).toBe(200);
    const preview = stored.body as Preview;
    expect(preview.source).toBe('topic');
    expect(preview.read!.complete).toBe(true);
    expect(preview.records.map((r) => [r.partition, r.offset, r.outcome, r.reason])).toEqual([
      [0, 0, 'deliver', null],
      [0, 1, 'filtered', null],
      [1, 0, 'deliver', null],
      [1, 1, 'dead_letter', 'not_json'],
      [1, 2, 'deliver', null],
    ]);
    expect(preview.records[0].body).toBe('{"id":9007199254740993,"total":12.50,"who":"ann"}');
    expect(preview.records[0].headers).toContainEqual(['x-api-key', '****']);
    expect(JSON.stringify(preview)).not.toContain(SECRET);

    // The same spec given whole previews the same records the same way, read or pasted.
    const given = await t.proxy.api('POST', '/api/preview', { subscription: spec, lastRecords: 100 });
    expect(given.status).toBe(200);
    expect((given.body as Preview).records).toEqual(preview.records);
    const pasted = await t.proxy.api('POST', '/api/preview', {
      subscription: { etl: spec.etl, endpoint: spec.endpoint, kafka: spec.kafka },
      records: [
        { key: 'c-1', value: '{"type":"order","id":9007199254740993,"total":12.50,"user":{"name":"ann"}}', headers: [{ name: 'tenant', value: 'acme' }] },
      ],
    });
    expect(pasted.status).toBe(200);
    expect((pasted.body as Preview).records[0]).toMatchObject({ body: preview.records[0].body, headers: preview.records[0].headers });

    // Nothing joined or committed in the subscription's group; no preview group stays behind.
    expect(await t.client.committed(sub.kafka.groupId, topic, 2)).toEqual([-1001, -1001]);
    const kafka = realKafka(t.kafka);
    expect(await kafka.groupMembers(sub.kafka.groupId)).toEqual([]);
    expect((await kafka.groupIds()).filter((g) => g.startsWith('kproxy-preview-'))).toEqual([]);

    // Run it: what the endpoint receives equals the preview, body for body and header for header.
    expect((await t.proxy.api('POST', `/api/subscriptions/${sub.id}/start`)).status).toBe(200);
    await waitFor(async () => (await t.client.committed(sub.kafka.groupId, topic, 2)).join() === '2,3', 'every record done');
    const received = t.sink.requests.filter((r) => r.path === '/orders');
    const kept = preview.records.filter((r) => r.kept);
    expect(received).toHaveLength(kept.length);
    for (const r of kept) {
      const req = received.find((q) => q.headers['idempotency-key'] === `${topic}-${r.partition}-${r.offset}`);
      expect({ offset: `${r.partition}:${r.offset}`, body: req?.body }).toEqual({ offset: `${r.partition}:${r.offset}`, body: r.body });
      for (const [name, value] of r.headers!) {
        expect({ name, value: req!.headers[name] }).toEqual({ name, value: value === '****' ? SECRET : value });
      }
    }
    expect(received.find((q) => q.headers['x-kafka-offset'] === '2')!.headers['x-kafka-base64-headers']).toBe('x-tenant');
  });

  it('answers the verdict a test delivery gets, without Kafka or dead letters', async () => {
    t.sink.respond((req) => {
      if (!req.path.startsWith('/verdict')) return { status: 200, body: { errcode: 0 } };
      const mode = (JSON.parse(req.body) as { mode?: string }).mode;
      if (mode === 'fail') return { status: 500, body: 'boom' };
      if (mode === 'refuse') return { status: 400, body: { error: 'bad record' } };
      if (mode === 'mismatch') return { status: 200, body: '{"errcode":9007199254740993}' };
      return { status: 200, body: { errcode: 0 } };
    });
    const topic = unique('verdict');
    const created = await t.proxy.api(
      'POST',
      '/api/subscriptions',
      subscriptionBody({
        name: unique('verdict-sub'),
        brokers: t.kafka.bootstrap,
        topic,
        url: `${t.sink.url}/verdict?token=abc`,
        etl: { filter: [{ path: '$.mode', op: 'neq', value: 'skip' }] },
        endpoint: { headers: { Authorization: `Bearer ${SECRET}` }, errcodePath: '$.errcode', errcodeOk: [0] },
        status: 'stopped',
      }),
    );
    expect(created.status).toBe(201);
    const id = (created.body as { id: number }).id;
    const test = async (body: unknown) => {
      const res = await t.proxy.api('POST', `/api/subscriptions/${id}/test-delivery`, body);
      expect(res.status).toBe(200);
      return res.body as Record<string, any>;
    };

    const ok = await test({ body: '{"mode":"ok"}' });
    expect(ok).toMatchObject({ sent: true, outcome: 'success', reason: null, status: 200, errcode: '0' });
    expect(ok.latencyMs).toBeGreaterThanOrEqual(0);
    expect(ok.request.url).toBe(`${t.sink.url}/verdict?token=****`);
    expect(ok.request.headers).toContainEqual(['authorization', '****']);
    expect(JSON.stringify(ok)).not.toContain(SECRET);
    const sent = t.sink.requests.filter((r) => r.path.startsWith('/verdict'));
    expect(sent).toHaveLength(1);
    expect(sent[0].headers).toMatchObject({ authorization: `Bearer ${SECRET}`, 'x-kproxy-test-delivery': '1', 'x-kafka-topic': topic });
    expect(sent[0].headers['idempotency-key']).toMatch(/^kproxy-test-[0-9a-f-]{36}$/);

    expect(await test({ body: '{"mode":"fail"}' })).toMatchObject({
      outcome: 'retry',
      reason: null,
      status: 500,
      problem: 'HTTP status 500 is not a success status',
    });
    expect(await test({ record: { value: '{"mode":"refuse"}', key: 'k' } })).toMatchObject({
      sent: true,
      outcome: 'dead_letter',
      reason: 'rejected',
      status: 400,
      request: { body: '{"mode":"refuse"}' },
    });
    expect(await test({ body: '{"mode":"mismatch"}' })).toMatchObject({
      outcome: 'retry',
      status: 200,
      errcode: '9007199254740993',
      problem: 'errcode 9007199254740993 at $.errcode is not one of [0]',
    });
    // A record the filter drops is not sent.
    expect(await test({ record: { value: '{"mode":"skip"}' } })).toMatchObject({ sent: false, outcome: 'filtered', request: null });
    expect(t.sink.requests.filter((r) => r.path.startsWith('/verdict'))).toHaveLength(4);

    expect((await t.proxy.api('GET', `/api/dead-letters?subscriptionId=${id}`)).body).toEqual([]);
    // Each test delivery is in the audit log with its verdict, never its body.
    const audit = (await t.proxy.api('GET', `/api/audit?resourceType=subscription&resourceId=${id}`)).body as Array<{ action: string; after: unknown }>;
    const tests = audit.filter((e) => e.action === 'subscription.test_delivery');
    expect(tests).toHaveLength(5);
    expect(tests.map((e) => (e.after as { outcome: string }).outcome).sort()).toEqual(['dead_letter', 'filtered', 'retry', 'retry', 'success']);
    expect(JSON.stringify(tests)).not.toContain('mode');
    const bad = await t.proxy.api('POST', `/api/subscriptions/${id}/test-delivery`, { body: '{}', record: { value: '{}' } });
    expect(bad.status).toBe(400);
    expect(bad.body.fields).toEqual([{ path: 'body', message: 'give exactly one of body (sent as is) and record (shaped by the subscription first)' }]);
  });

  it('judges a pasted batch as a batch of its length, and names body when a batching subscription gets no array', async () => {
    t.sink.respond((req) => {
      if (!req.path.startsWith('/items')) return { status: 200 };
      const items = JSON.parse(req.body) as Array<{ id: number }>;
      return { status: 200, body: { results: items.map((i) => (i.id === 3 ? 1003 : 0)) } };
    });
    const created = await t.proxy.api(
      'POST',
      '/api/subscriptions',
      subscriptionBody({
        name: unique('batch-test'),
        brokers: t.kafka.bootstrap,
        topic: unique('batch-test'),
        url: `${t.sink.url}/items`,
        endpoint: { itemResultsPath: '$.results', errcodeOk: [0] },
        delivery: { batchSize: 10 },
        status: 'stopped',
      }),
    );
    expect(created.status).toBe(201);
    const id = (created.body as { id: number }).id;
    const two = await t.proxy.api('POST', `/api/subscriptions/${id}/test-delivery`, { body: '[{"id":1},{"id":2}]' });
    expect(two.body).toMatchObject({ sent: true, outcome: 'success', status: 200 });
    const sent = t.sink.requests.filter((r) => r.path.startsWith('/items'));
    expect(sent[sent.length - 1].headers['x-kafka-batch-size']).toBe('2');
    const refused = await t.proxy.api('POST', `/api/subscriptions/${id}/test-delivery`, { body: '[{"id":1},{"id":3}]' });
    expect(refused.body).toMatchObject({ outcome: 'dead_letter', reason: 'rejected' });
    for (const body of ['{"id":1}', '[]', JSON.stringify(Array.from({ length: 11 }, (_, i) => ({ id: i })))]) {
      const bad = await t.proxy.api('POST', `/api/subscriptions/${id}/test-delivery`, { body });
      expect([bad.status, bad.body.code, bad.body.fields?.[0]?.path]).toEqual([400, 'VALIDATION_FAILED', 'body']);
    }
    expect(t.sink.requests.filter((r) => r.path.startsWith('/items'))).toHaveLength(2);
  });

  it('lets a requester preview, on clusters kproxy already reads, but not send a test delivery', async () => {
    const admin = 'admin-token-preview-0123456789';
    const requester = 'requester-token-preview-0123';
    const proxy = await t.world.startProxy({ adminToken: admin, env: { REQUESTER_TOKENS: `payments=${requester}` } });
    const topic = unique('req-preview');
    await t.kafka.createTopic(topic, 1);
    await t.client.produceJson(topic, [{ id: 1 }]);
    const spec = subscriptionBody({ name: unique('req-sub'), brokers: t.kafka.bootstrap, topic, url: `${t.sink.url}/req`, status: 'stopped' });
    const read = await proxy.api('POST', '/api/preview', { subscription: spec, lastRecords: 5 }, requester);
    expect(read.status).toBe(200);
    expect((read.body as Preview).records.map((r) => r.body)).toEqual(['{"id":1}']);
    const elsewhere = await proxy.api(
      'POST',
      '/api/preview',
      { subscription: { ...spec, kafka: { brokers: '127.0.0.1:1', topic } }, lastRecords: 5 },
      requester,
    );
    expect([elsewhere.status, elsewhere.body.code]).toEqual([403, 'PREVIEW_BROKERS_UNKNOWN']);
    const created = await proxy.api('POST', '/api/subscriptions', spec, admin);
    expect(created.status).toBe(201);
    const id = (created.body as { id: number }).id;
    expect((await proxy.api('POST', `/api/subscriptions/${id}/preview`, { records: [{ value: '{}' }] }, requester)).body.code).toBe('OTHER_TEAMS_SUBSCRIPTION');
    expect((await proxy.api('POST', `/api/subscriptions/${id}/preview`, { records: [{ value: '{}' }] }, admin)).status).toBe(200);
    // Now the operators' subscription consumes the topic: its records are no longer the requester's to read.
    const claimed = await proxy.api('POST', '/api/preview', { subscription: spec, lastRecords: 5 }, requester);
    expect([claimed.status, claimed.body.code, claimed.body.fields]).toEqual([
      403,
      'PREVIEW_TOPIC_NOT_ALLOWED',
      [{ path: 'subscription.kafka.topic', message: "another team's or the operators' subscription consumes it, so its records are not yours to read" }],
    ]);
    expect((await proxy.api('POST', '/api/preview', { subscription: spec, records: [{ value: '{"id":2}' }] }, requester)).status).toBe(200);
    expect((await proxy.api('POST', '/api/preview', { subscription: spec, lastRecords: 5 }, admin)).status).toBe(200);
    // Once it is the requester team's own subscription, the team may read it again.
    expect((await proxy.api('PATCH', `/api/subscriptions/${id}`, { owner: 'payments' }, admin)).status).toBe(200);
    expect((await proxy.api('POST', '/api/preview', { subscription: spec, lastRecords: 5 }, requester)).status).toBe(200);
    const test = await proxy.api('POST', `/api/subscriptions/${id}/test-delivery`, { body: '{}' }, requester);
    expect([test.status, test.body.code]).toEqual([403, 'FORBIDDEN']);
  });
});
