import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { AddDeadLetterDigest1796227200000 } from '../migrations/1796227200000-AddDeadLetterDigest';
import { boundDeadLetter } from '../src/dead-letters/dead-letter-bounds';
import type { DeadLetterRecord } from '../src/model/dead-letter-record';
import { DeadLetterReason } from '../src/model/dead-letter-reason.enum';
import { DeadLettersRepository } from '../src/dead-letters/dead-letters.repository';
import { recordDigest } from '../src/dead-letters/record-digest';
import { APP_ENTITIES } from '../src/app-entities';
import { typeormOptions } from '../src/database/typeorm-options';
import { batchRequestHeaders } from '../src/delivery/batch-headers';
import { headerValue } from '../src/delivery/kafka-headers';
import { subscriptionBody, unique } from './support/fixtures';
import type { ReceivedRequest } from './support/sink-server';
import { TEST_DATABASE_URL } from './support/test-env';
import { useTestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

/** Requests of one sink path refuse (400) the records whose "n" is listed, until emptied. */
const refused = new Set<number | string>();

/** The key bytes an endpoint following the documented rule recovers; undefined = no key. */
function receivedKey(req: ReceivedRequest): Buffer | undefined {
  const v = req.headers['x-kafka-key'];
  if (v === undefined) return undefined;
  return req.headers['x-kafka-key-encoding'] === 'base64' ? Buffer.from(String(v), 'base64') : Buffer.from(String(v), 'latin1');
}

/** Each forwarded value of an HTTP header, decoded by the documented rule (Node joins repeats with ", "). */
function receivedHeader(req: ReceivedRequest, name: string): Buffer[] | undefined {
  const v = req.headers[name];
  if (v === undefined) return undefined;
  const encoded = String(req.headers['x-kafka-base64-headers'] ?? '')
    .split(', ')
    .includes(name);
  return encoded
    ? String(v)
        .split(', ')
        .map((part) => Buffer.from(part, 'base64'))
    : [Buffer.from(String(v), 'latin1')];
}

/** The headers a request carried, without the ones the HTTP connection itself sets. */
function requestHeaders(req: ReceivedRequest): Record<string, unknown> {
  const { host: _host, connection: _connection, 'content-length': _length, traceparent: _trace, ...rest } = req.headers;
  return rest;
}

/** The repository writes bounded rows; these small records are kept whole within any packet. */
const ROW_BUDGET = 1024 * 1024;

const bytes = (v: string | Buffer | null) => (v === null ? undefined : Buffer.from(v));

describe('record bytes: keys, headers, dead letters and their re-delivery', () => {
  const t = useTestWorld({
    responder: (req) => {
      const body = req.body.startsWith('[') ? req.body : `[${req.body}]`;
      const ns = (JSON.parse(body) as Array<{ n?: number | string }>).map((item) => item.n);
      return ns.some((n) => refused.has(n as number)) ? { status: 400, body: { error: 'refused' } } : { status: 200 };
    },
  });
  let ds: DataSource;

  beforeAll(async () => {
    ds = new DataSource({ ...typeormOptions({ url: TEST_DATABASE_URL, poolSize: 2 }, APP_ENTITIES), migrations: [] });
    await ds.initialize();
  });
  afterAll(() => ds?.destroy());
  afterEach(() => refused.clear());

  const deadLetters = async (subscriptionId: number) => (await t.proxy.api('GET', `/api/dead-letters?subscriptionId=${subscriptionId}`)).body as any[];
  const requestsTo = (path: string) => t.sink.requests.filter((r) => r.path === path);

  it('an endpoint sees the exact Kafka key and mapped header bytes, live and re-delivered', async () => {
    const topic = unique('bytes');
    await t.kafka.createTopic(topic, 1);
    const records: Array<{ key: string | Buffer | null; headers: Record<string, string | Buffer | Array<string | Buffer>> }> = [
      { key: 'plain-1', headers: { tenant: 'acme' } },
      { key: Buffer.from([0xff, 0xfe, 0x00, 0x41]), headers: { blob: Buffer.from([0, 1, 0xff, 0x0d, 0x0a]) } },
      { key: 'order-7 ', headers: { tenant: ' acme ' } },
      { key: 'a\r\nb', headers: { tenant: ['x, y', 'z'] } },
      // A string: the client's native producer turns an empty Buffer key into no key.
      { key: '', headers: { tenant: '' } },
      { key: null, headers: {} },
      { key: 'é名', headers: { tenant: 'ü' } },
    ];
    // The ones an HTTP hop would alter are refused first, then re-delivered.
    for (const n of [1, 2, 3]) refused.add(n);
    const res = await t.proxy.api(
      'POST',
      '/api/subscriptions',
      subscriptionBody({
        name: unique('bytes-sub'),
        brokers: t.kafka.bootstrap,
        topic,
        url: `${t.sink.url}/bytes`,
        endpoint: { recordHeaders: { tenant: 'X-Tenant-Id', blob: 'X-Blob' } },
        delivery: { maxInFlight: 1, maxRetries: 0 },
      }),
    );
    expect(res.status).toBe(201);
    await t.client.produce(
      topic,
      records.map((r, n) => ({ key: r.key, headers: r.headers, value: JSON.stringify({ n }) })),
    );
    const live = await waitFor(() => requestsTo('/bytes').length === records.length && requestsTo('/bytes'), 'one request per record');
    const byN = (reqs: ReceivedRequest[], n: number) => reqs.find((r) => JSON.parse(r.body).n === n)!;
    const expectExact = (req: ReceivedRequest, n: number) => {
      const r = records[n];
      expect(receivedKey(req)).toEqual(bytes(r.key));
      const tenant = r.headers.tenant;
      expect(receivedHeader(req, 'x-tenant-id')).toEqual(
        tenant === undefined ? undefined : (Array.isArray(tenant) ? tenant : [tenant]).map((v) => Buffer.from(v)),
      );
      expect(receivedHeader(req, 'x-blob')).toEqual(r.headers.blob === undefined ? undefined : [Buffer.from(r.headers.blob as Buffer)]);
    };
    for (let n = 0; n < records.length; n++) expectExact(byN(live, n), n);
    // Keys safe as they are keep the documented plain form.
    expect(byN(live, 0).headers['x-kafka-key']).toBe('plain-1');
    expect(byN(live, 0).headers['x-kafka-key-encoding']).toBeUndefined();
    expect(byN(live, 5).headers['x-kafka-key']).toBeUndefined();

    const rows = await waitFor(async () => {
      const r = await deadLetters(res.body.id);
      return r.length === 3 && r;
    }, 'three dead letters');
    refused.clear();
    for (const row of rows) expect((await t.proxy.api('POST', `/api/dead-letters/${row.id}/redeliver`)).body.state).toBe('redelivered');
    const again = requestsTo('/bytes').slice(records.length);
    expect(again).toHaveLength(3);
    for (const n of [1, 2, 3]) {
      expectExact(byN(again, n), n);
      expect(requestHeaders(byN(again, n))).toEqual(requestHeaders(byN(live, n)));
      expect(byN(again, n).body).toBe(byN(live, n).body);
    }
  });

  it("re-delivers a batch subscription's dead letter as a one-record array with the batch headers", async () => {
    const topic = unique('batch-dl');
    await t.kafka.createTopic(topic, 1);
    refused.add('poison');
    // Produced before the subscription starts, so the first fetch holds all three: one batch.
    const values = ['{"n":1}', '{"n":"poison","id":9007199254740993}', '{"n":3}'];
    await t.client.produce(
      topic,
      values.map((value) => ({ key: 'k', value })),
    );
    const res = await t.proxy.api(
      'POST',
      '/api/subscriptions',
      subscriptionBody({
        name: unique('batch-dl-sub'),
        brokers: t.kafka.bootstrap,
        topic,
        url: `${t.sink.url}/batch-dl`,
        delivery: { ordering: 'partition', maxInFlight: 1, batchSize: 10, batchWaitMs: 300, maxRetries: 0 },
      }),
    );
    expect(res.status).toBe(201);
    // The batch is refused, so it is halved until only the refused record is dead-lettered.
    const rows = await waitFor(async () => {
      const r = await deadLetters(res.body.id);
      return r.length === 1 && r;
    }, 'the refused record dead-lettered');
    const live = requestsTo('/batch-dl')[0];
    expect(live.body).toBe(`[${values.join(',')}]`);
    expect(requestsTo('/batch-dl').map((q) => q.body)).toEqual([
      live.body,
      `[${values[0]},${values[1]}]`,
      `[${values[0]}]`,
      `[${values[1]}]`,
      `[${values[2]}]`,
    ]);
    refused.clear();
    const row = rows.find((r) => r.offset === 1);
    expect((await t.proxy.api('POST', `/api/dead-letters/${row.id}/redeliver`)).body.state).toBe('redelivered');
    const sent = requestsTo('/batch-dl').at(-1)!;
    expect(sent.body).toBe(`[${values[1]}]`);
    expect(sent.headers['x-kafka-batch-size']).toBe('1');
    expect(sent.headers['x-kafka-records']).toBe('0:1');
    expect(sent.headers['x-kafka-topic']).toBe(topic);
    expect(sent.headers['content-type']).toBe('application/json');
    expect(sent.headers['idempotency-key']).toBe(headerValue(batchRequestHeaders([], topic, [{ topic, partition: 0, offset: 1 }]), 'idempotency-key'));
    expect(Object.keys(requestHeaders(sent)).sort()).toEqual(Object.keys(requestHeaders(live)).sort());
  });

  describe('dead letters of different records at the same coordinates', () => {
    const record = (over: Partial<DeadLetterRecord>): DeadLetterRecord => ({
      subscriptionId: 0,
      topic: 'recreated',
      partition: 0,
      offset: 5,
      key: Buffer.from('k'),
      headers: [['h', Buffer.from('v').toString('base64')]],
      value: Buffer.from('{"rec":"old"}'),
      timestamp: 1_000,
      transformedBody: null,
      reason: DeadLetterReason.Rejected,
      attempts: 1,
      lastStatus: 400,
      lastError: 'refused',
      responseExcerpt: null,
      firstAttemptAt: new Date(),
      lastAttemptAt: new Date(),
      ...over,
    });

    it('keep their own rows, the same record again finds its row, and each re-delivery sends its own bytes', async () => {
      const res = await t.proxy.api(
        'POST',
        '/api/subscriptions',
        subscriptionBody({
          name: unique('recreated-sub'),
          brokers: t.kafka.bootstrap,
          topic: 'recreated',
          url: `${t.sink.url}/recreated`,
          status: 'stopped',
        }),
      );
      expect(res.status).toBe(201);
      const subscriptionId = res.body.id as number;
      const repo = new DeadLettersRepository(ds);
      const old = record({ subscriptionId });
      // The topic was recreated: another record at offset 5, same key and headers.
      const fresh = record({
        subscriptionId,
        value: Buffer.from('{"rec":"new"}'),
        timestamp: 2_000,
        reason: DeadLetterReason.RetriesExhausted,
        lastStatus: 503,
      });
      await repo.upsert(boundDeadLetter(old, ROW_BUDGET));
      await repo.upsert(boundDeadLetter(fresh, ROW_BUDGET));
      await repo.upsert(boundDeadLetter({ ...old, attempts: 2, lastError: 'refused again' }, ROW_BUDGET));
      const rows = await deadLetters(subscriptionId);
      expect(rows).toHaveLength(2);
      const oldRow = rows.find((r) => r.value === '{"rec":"old"}');
      const freshRow = rows.find((r) => r.value === '{"rec":"new"}');
      expect(oldRow).toMatchObject({ offset: 5, attempts: 3, lastError: 'refused again', reason: 'rejected', lastStatus: 400 });
      expect(freshRow).toMatchObject({ offset: 5, attempts: 1, lastError: 'refused', reason: 'retries_exhausted', lastStatus: 503 });
      for (const row of [freshRow, oldRow]) {
        expect((await t.proxy.api('POST', `/api/dead-letters/${row.id}/redeliver`)).body.state).toBe('redelivered');
        expect(requestsTo('/recreated').at(-1)!.body).toBe(row.value);
      }
      expect(requestsTo('/recreated')).toHaveLength(2);
    });

    it('the migration gives existing rows the digest of their bytes, and will not undo once rows share coordinates', async () => {
      await ds.query('DELETE FROM dead_letters');
      const migration = new AddDeadLetterDigest1796227200000();
      const q = ds.createQueryRunner();
      try {
        await migration.down(q);
        await q.query(
          `INSERT INTO dead_letters (subscription_id, topic, partition_no, record_offset, record_key, record_headers, record_value, record_timestamp, reason)
           VALUES (1, 't', 0, 1, ?, ?, ?, 123, 'rejected'), (1, 't', 0, 2, NULL, NULL, NULL, NULL, 'no_value')`,
          [Buffer.from([0xff]), JSON.stringify([['h', 'AAE=']]), Buffer.from('{"a":1}')],
        );
        await migration.up(q);
        const rows: Array<{ record_offset: string; record_digest: Buffer }> = await q.query(
          'SELECT record_offset, record_digest FROM dead_letters ORDER BY record_offset',
        );
        expect(rows[0].record_digest).toEqual(
          recordDigest({ key: Buffer.from([0xff]), headers: [['h', 'AAE=']], value: Buffer.from('{"a":1}'), timestamp: 123 }),
        );
        expect(rows[1].record_digest).toEqual(recordDigest({ key: null, headers: null, value: null, timestamp: null }));
        // The row at offset 1 is matched by its bytes; another record there gets a row of its own.
        const repo = new DeadLettersRepository(ds);
        const again = record({
          subscriptionId: 1,
          topic: 't',
          offset: 1,
          key: Buffer.from([0xff]),
          headers: [['h', 'AAE=']],
          value: Buffer.from('{"a":1}'),
          timestamp: 123,
        });
        await repo.upsert(boundDeadLetter(again, ROW_BUDGET));
        expect(await q.query('SELECT COUNT(*) AS n FROM dead_letters')).toEqual([{ n: '2' }]);
        await repo.upsert(boundDeadLetter({ ...again, value: Buffer.from('{"a":2}') }, ROW_BUDGET));
        await expect(migration.down(q)).rejects.toThrow(/same subscription\/topic\/partition\/offset/);
      } finally {
        await q.release();
      }
    });
  });
});
