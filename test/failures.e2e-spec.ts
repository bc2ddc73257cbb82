import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { subscriptionBody, unique } from './support/fixtures';
import type { Responder } from './support/sink-server';
import { useTestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

const deadLetterDir = mkdtempSync(join(tmpdir(), 'kproxy-dl-'));

/** Each path fails in its own way; records whose n is "ok" always succeed. */
const responder: Responder = (req, attempt) => {
  const n = JSON.parse(req.body || '{}').n;
  switch (req.path) {
    case '/always-500':
      return n === 'ok' ? { status: 200 } : { status: 500, body: { error: 'database exploded', n } };
    case '/bad-request':
      return n === 'ok' ? { status: 200 } : { status: 400, body: { error: 'field x is invalid' } };
    case '/errcode':
      return { status: 200, body: attempt === 1 ? { errcode: 1001, msg: 'busy' } : { errcode: 0 } };
    case '/retry-after':
      return attempt === 1 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 };
    default:
      return { status: 200, body: { errcode: 0 } };
  }
};

describe('failures: retries, dead letters, errcode, bad records', () => {
  const t = useTestWorld({ responder, proxy: { env: { MAX_MESSAGE_BYTES: '300', DEAD_LETTER_DIR: deadLetterDir } } });

  async function subscribe(path: string, extra: Record<string, unknown> = {}) {
    const topic = unique(path.replace('/', ''));
    await t.kafka.createTopic(topic, 1);
    const res = await t.proxy.api(
      'POST',
      '/api/subscriptions',
      subscriptionBody({ name: unique('sub'), brokers: t.kafka.bootstrap, topic, url: t.sink.url + path, ...extra }),
    );
    expect(res.status).toBe(201);
    return { topic, sub: res.body };
  }

  const deadLetters = async (subscriptionId: number) => (await t.proxy.api('GET', `/api/dead-letters?subscriptionId=${subscriptionId}`)).body as any[];

  it('retries 5xx up to maxRetries, then dead-letters the record and keeps the partition moving', async () => {
    const { topic, sub } = await subscribe('/always-500', { delivery: { maxRetries: 2, backoffMs: 5, maxBackoffMs: 20 } });
    await t.client.produce(topic, [{ key: 'order-9', value: JSON.stringify({ n: 1 }), headers: { trace: 'abc' } }, { value: JSON.stringify({ n: 'ok' }) }]);
    await waitFor(() => t.sink.attempts(`${topic}-0-1`) === 1, 'the record after the failing one');
    expect(t.sink.attempts(`${topic}-0-0`)).toBe(3);
    const [dl] = await waitFor(async () => {
      const rows = await deadLetters(sub.id);
      return rows.length === 1 && rows;
    }, 'one dead letter');
    expect(dl).toMatchObject({
      subscriptionId: sub.id,
      topic,
      partition: 0,
      offset: 0,
      key: 'order-9',
      value: '{"n":1}',
      attempts: 3,
      lastStatus: 500,
      reason: 'retries_exhausted',
      state: 'pending',
      transformedBody: '{"n":1}',
    });
    expect(dl.lastError).toContain('500');
    expect(dl.responseExcerpt).toContain('database exploded');
    expect(dl.headers).toEqual([['trace', Buffer.from('abc').toString('base64')]]);
    await waitFor(async () => (await t.client.committed(sub.kafka.groupId, topic, 1))[0] === 2, 'commit past the dead letter');
  });

  it('sends other 4xx answers straight to the dead-letter store', async () => {
    const { topic, sub } = await subscribe('/bad-request', { delivery: { maxRetries: 5, backoffMs: 5, maxBackoffMs: 20 } });
    await t.client.produceJson(topic, [{ n: 1 }, { n: 'ok' }]);
    await waitFor(() => t.sink.attempts(`${topic}-0-1`) === 1, 'the next record');
    expect(t.sink.attempts(`${topic}-0-0`)).toBe(1);
    const rows = await waitFor(async () => {
      const r = await deadLetters(sub.id);
      return r.length === 1 && r;
    }, 'the dead letter');
    expect(rows[0]).toMatchObject({ reason: 'rejected', attempts: 1, lastStatus: 400 });
  });

  it('retries an errcode failure and counts the later success as delivered', async () => {
    const { topic, sub } = await subscribe('/errcode', { endpoint: { errcodePath: '$.errcode', errcodeOk: [0] } });
    await t.client.produceJson(topic, [{ n: 1 }]);
    await waitFor(async () => (await t.client.committed(sub.kafka.groupId, topic, 1))[0] === 1, 'commit after the retried success');
    expect(t.sink.attempts(`${topic}-0-0`)).toBe(2);
    expect(await deadLetters(sub.id)).toEqual([]);
  });

  it('dead-letters an errcode that never becomes ok, with the errcode named', async () => {
    t.sink.respond((req) => (req.path === '/never-ok' ? { status: 200, body: { errcode: 7 } } : { status: 200 }));
    const { topic, sub } = await subscribe('/never-ok', {
      endpoint: { errcodePath: '$.errcode' },
      delivery: { maxRetries: 1, backoffMs: 5, maxBackoffMs: 10 },
    });
    await t.client.produceJson(topic, [{ n: 1 }]);
    const rows = await waitFor(async () => {
      const r = await deadLetters(sub.id);
      return r.length === 1 && r;
    }, 'the dead letter');
    expect(rows[0]).toMatchObject({ reason: 'retries_exhausted', attempts: 2, lastStatus: 200 });
    expect(rows[0].lastError).toBe('errcode 7 at $.errcode is not one of [0]');
  });

  it('honours Retry-After on 429', async () => {
    t.sink.respond((req, attempt) => (attempt === 1 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 }));
    const { topic } = await subscribe('/retry-after', { delivery: { maxRetries: 3, backoffMs: 1, maxBackoffMs: 5000 } });
    await t.client.produceJson(topic, [{ n: 1 }]);
    const key = `${topic}-0-0`;
    await waitFor(() => t.sink.attempts(key) === 2, 'the second attempt');
    const times = t.sink.requests.filter((r) => r.headers['idempotency-key'] === key).map((r) => r.at);
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(950);
  });

  it('dead-letters non-JSON, oversized and unmatched records with a reason, and moves on', async () => {
    t.sink.respond(() => ({ status: 200 }));
    const { topic, sub } = await subscribe('/bad-records', { etl: { fields: { id: '$.id' } } });
    await t.client.produce(topic, [
      { value: 'this is not json' },
      { value: JSON.stringify({ id: 1, pad: 'x'.repeat(400) }) },
      { value: JSON.stringify({ other: 1 }) },
      { value: null },
      { value: JSON.stringify({ id: 5 }) },
    ]);
    await waitFor(() => t.sink.attempts(`${topic}-0-4`) === 1, 'the good record');
    expect(t.sink.requests.filter((r) => r.path === '/bad-records').map((r) => r.body)).toEqual(['{"id":5}']);
    const rows = await waitFor(async () => {
      const r = await deadLetters(sub.id);
      return r.length === 4 && r;
    }, 'four dead letters');
    const byOffset = Object.fromEntries(rows.map((r: any) => [r.offset, r]));
    expect(byOffset[0]).toMatchObject({ reason: 'not_json', value: 'this is not json', attempts: 0 });
    expect(byOffset[0].lastError).toMatch(/not JSON/);
    expect(byOffset[1]).toMatchObject({ reason: 'too_large' });
    expect(byOffset[1].lastError).toMatch(/over the 300-byte limit/);
    expect(byOffset[1].value).toHaveLength(JSON.stringify({ id: 1, pad: 'x'.repeat(400) }).length);
    expect(byOffset[2]).toMatchObject({ reason: 'path_not_matched' });
    expect(byOffset[2].lastError).toBe('fields.id: JSONPath $.id matched nothing in the value');
    expect(byOffset[3]).toMatchObject({ reason: 'no_value', value: null });
    await waitFor(async () => (await t.client.committed(sub.kafka.groupId, topic, 1))[0] === 5, 'commit past all of them');
    const lines = readFileSync(join(deadLetterDir, `subscription-${sub.id}.jsonl`), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.offset, l.reason])).toEqual([
      [0, 'not_json'],
      [1, 'too_large'],
      [2, 'path_not_matched'],
      [3, 'no_value'],
    ]);
    expect(Buffer.from(lines[0].value, 'base64').toString()).toBe('this is not json');
  });

  it('exports per-subscription counters and a delivery histogram', async () => {
    const metrics = await t.proxy.api('GET', '/metrics');
    expect(metrics.status).toBe(200);
    const text = metrics.body as string;
    for (const name of [
      'kproxy_messages_consumed_total',
      'kproxy_messages_filtered_total',
      'kproxy_messages_delivered_total',
      'kproxy_delivery_retries_total',
      'kproxy_messages_dead_lettered_total',
      'kproxy_delivery_duration_seconds_bucket',
    ]) {
      expect(text).toContain(name);
    }
    expect(text).toMatch(/kproxy_messages_dead_lettered_total\{subscription="\d+",reason="not_json"\} 1/);
  });
});
