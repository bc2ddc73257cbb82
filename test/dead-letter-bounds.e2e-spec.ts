import 'reflect-metadata';
import { KafkaJS } from '@confluentinc/kafka-javascript';
import { DataSource } from 'typeorm';
import { classifySqlFailure } from '../src/database/sql-failure';
import { boundDeadLetter, minimalDeadLetter } from '../src/dead-letters/dead-letter-bounds';
import type { DeadLetterRecord } from '../src/model/dead-letter-record';
import { DeadLetterReason } from '../src/model/dead-letter-reason.enum';
import { DeadLettersRepository } from '../src/dead-letters/dead-letters.repository';
import { APP_ENTITIES } from '../src/app-entities';
import { typeormOptions } from '../src/database/typeorm-options';
import { subscriptionBody, unique } from './support/fixtures';
import { TEST_DATABASE_URL } from './support/test-env';
import { useTestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

/** A 4-byte, a 3-byte and a 2-byte character: 9 bytes of UTF-8 in 4 UTF-16 units. */
const MULTIBYTE = '😀名é';
const SECRET = 'PII-4111-1111-1111-1111';
/**
 * An errcode that keeps the response within the 64 KiB kproxy reads of it (65,531 bytes) while
 * the error quoting it ("errcode \"…\" at $.code is not one of [0]") is 65,558 bytes: over TEXT.
 */
const LONG_CODE = MULTIBYTE.repeat(7_280);
const LONG_ERROR = `errcode "${LONG_CODE}" at $.code is not one of [0]`;

/**
 * Records the database could never store as they came (issue 15, item 2) still end as visible
 * dead letters and the partition keeps moving: a 70,000-byte key (BLOB holds 65,535), a value
 * over max_allowed_packet, an error text over TEXT in multibyte characters, and a row the server
 * refuses outright (a trigger stands in for any deterministic SQL refusal).
 */
describe('dead letters the database cannot store as they came', () => {
  const t = useTestWorld({
    responder: (req) => {
      const n = (JSON.parse(req.body) as { n?: string }).n;
      if (n === 'excerpt') return { status: 200, body: { code: LONG_CODE } };
      if (n === 'refuse-me') return { status: 400, body: { error: 'refused' } };
      return { status: 200, body: { code: 0 } };
    },
  });
  let ds: DataSource;
  let maxAllowedPacket: number;

  beforeAll(async () => {
    ds = new DataSource({ ...typeormOptions({ url: TEST_DATABASE_URL, poolSize: 2 }, APP_ENTITIES), migrations: [] });
    await ds.initialize();
    maxAllowedPacket = Number((await ds.query('SELECT @@global.max_allowed_packet AS p'))[0].p);
    // Stands in for any refusal the bounds cannot foresee; the payload-free fallback row passes it.
    await ds.query('DROP TRIGGER IF EXISTS dl_bounds_refuse');
    await ds.query(`CREATE TRIGGER dl_bounds_refuse BEFORE INSERT ON dead_letters FOR EACH ROW
      IF NEW.record_value LIKE '%refuse-me%' THEN
        SIGNAL SQLSTATE '22001' SET MESSAGE_TEXT = 'Data too long for column ''record_value'' at row 1', MYSQL_ERRNO = 1406;
      END IF`);
  });
  afterAll(async () => {
    await ds?.query('DROP TRIGGER IF EXISTS dl_bounds_refuse');
    await ds?.destroy();
  });

  // The list shows excerpts; these checks are of the whole rows, which the single-item route answers.
  const deadLetters = async (subscriptionId: number) => {
    const list = (await t.proxy.api('GET', `/api/dead-letters?subscriptionId=${subscriptionId}&limit=10`)).body as any[];
    return Promise.all(list.map(async (row) => (await t.proxy.api('GET', `/api/dead-letters/${row.id}`)).body)) as Promise<any[]>;
  };

  it('dead-letters each with coordinates and reason, keeps the partition moving, and refuses to re-deliver what was not kept', async () => {
    const topic = unique('dl-bounds');
    const bigValueBytes = maxAllowedPacket + 1024;
    await t.kafka.createTopic(topic, 1, { 'max.message.bytes': String(bigValueBytes + 1024 * 1024) });
    const kafka = new KafkaJS.Kafka({ kafkaJS: { brokers: t.kafka.bootstrap.split(','), logLevel: KafkaJS.logLevel.NOTHING } });
    const producer = kafka.producer({ 'message.max.bytes': bigValueBytes + 1024 * 1024, 'linger.ms': 0 } as never);
    await producer.connect();
    const bigValue = Buffer.alloc(bigValueBytes, 0x78);
    bigValue.write('{"n":"big","pad":"');
    try {
      for (const message of [
        { key: Buffer.alloc(70_000, 0x6b), value: '{"n":"bigkey"}' },
        { key: 'big', value: bigValue },
        { key: 'excerpt', value: '{"n":"excerpt"}' },
        { key: 'refuse', value: `{"n":"refuse-me","card":"${SECRET}"}` },
        { key: 'good', value: '{"n":"good"}' },
      ]) {
        await producer.send({ topic, messages: [message] });
      }
    } finally {
      await producer.disconnect();
    }
    const res = await t.proxy.api(
      'POST',
      '/api/subscriptions',
      subscriptionBody({
        name: unique('dl-bounds-sub'),
        brokers: t.kafka.bootstrap,
        topic,
        url: `${t.sink.url}/bounds`,
        endpoint: { errcodePath: '$.code', errcodeOk: [0] },
        delivery: { ordering: 'partition', maxInFlight: 1, maxRetries: 0 },
      }),
    );
    expect(res.status).toBe(201);
    const sub = res.body;

    await waitFor(async () => (await t.client.committed(sub.kafka.groupId, topic, 1))[0] === 5, 'all five records done and committed', { timeoutMs: 90_000 });
    expect(t.sink.requests.filter((r) => r.path === '/bounds' && r.body === '{"n":"good"}')).toHaveLength(1);
    const rows = await deadLetters(sub.id);
    const at = (offset: number) => rows.find((r) => r.offset === offset);
    expect(rows).toHaveLength(4);
    for (const row of rows) expect(row).toMatchObject({ subscriptionId: sub.id, topic, partition: 0, state: 'pending' });

    // The 70,000-byte key: cut to the BLOB column, original size kept, not re-deliverable.
    expect(at(0)).toMatchObject({ reason: 'rejected', keyBytes: 70_000, truncatedFields: { key: 70_000 }, recordKept: false, value: '{"n":"bigkey"}' });
    expect(at(0).key).toHaveLength(65_535);

    // The value over max_allowed_packet: only a prefix kept, with its size.
    expect(at(1)).toMatchObject({ reason: 'too_large', valueBytes: bigValueBytes, truncatedFields: { value: bigValueBytes }, recordKept: false });
    expect(at(1).value.startsWith('{"n":"big","pad":"xxx')).toBe(true);
    expect(Buffer.byteLength(at(1).value)).toBeLessThanOrEqual(65_536);

    // The error quoting a long multibyte errcode: cut within TEXT at a character boundary.
    const excerpt = at(2);
    expect(excerpt).toMatchObject({ reason: 'retries_exhausted', recordKept: true, value: '{"n":"excerpt"}' });
    expect(Buffer.byteLength(excerpt.lastError)).toBeLessThanOrEqual(65_535);
    expect(Buffer.byteLength(excerpt.lastError)).toBeGreaterThan(65_000);
    expect(excerpt.lastError.endsWith('…')).toBe(true);
    expect(excerpt.lastError).not.toContain('\uFFFD');
    expect(excerpt.truncatedFields.lastError).toBe(Buffer.byteLength(LONG_ERROR));
    expect(LONG_ERROR.startsWith(excerpt.lastError.slice(0, -1))).toBe(true);
    expect(excerpt.responseExcerpt.startsWith('{"code":"😀名é')).toBe(true);

    // The row the server refused: stored again without payload, naming the refusal.
    expect(at(3)).toMatchObject({ reason: 'rejected', lastStatus: 400, key: null, value: null, recordKept: false });
    expect(at(3).truncatedFields).toMatchObject({ key: 6, value: Buffer.byteLength(`{"n":"refuse-me","card":"${SECRET}"}`) });
    expect(at(3).lastError).toContain('ER_DATA_TOO_LONG 1406');
    const fellBack = t.proxy.logs.filter((l) => l.msg === 'the database refused the dead letter; stored without its payload');
    expect(fellBack).toHaveLength(1);
    expect(fellBack[0]).toMatchObject({ subscription: sub.id, topic, partition: 0, offset: 3, sqlErrno: 1406 });

    // Nothing of the refused payload (or the huge key) reached the proxy's output.
    const output = JSON.stringify(t.proxy.logs) + t.proxy.stderr.join('\n');
    expect(output).not.toContain(SECRET);
    expect(output).not.toContain('k'.repeat(100));

    // Re-delivery: refused (4xx, saying why) where the bytes were not kept; allowed otherwise.
    for (const offset of [0, 1, 3]) {
      const answer = await t.proxy.api('POST', `/api/dead-letters/${at(offset).id}/redeliver`);
      expect(answer.status).toBe(422);
      expect(answer.body.message).toContain('not kept in full');
    }
    const again = await t.proxy.api('POST', `/api/dead-letters/${excerpt.id}/redeliver`);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ state: 'pending', attempts: excerpt.attempts + 1 });
    expect(Buffer.byteLength(again.body.lastError)).toBeLessThanOrEqual(65_535);
    expect(again.body.truncatedFields.lastError).toBe(Buffer.byteLength(LONG_ERROR));
  }, 150_000);

  it('the server refuses what the bounds keep out, and the classifier calls it a refusal', async () => {
    const sql = `INSERT INTO dead_letters (subscription_id, topic, partition_no, record_offset, record_digest, record_key, reason, last_error)
                 VALUES (1, 'raw', 0, 0, ?, ?, 'rejected', '')`;
    const tooLongKey = await ds.query(sql, [Buffer.alloc(32), Buffer.alloc(70_000)]).then(
      () => null,
      (err: unknown) => err,
    );
    expect(tooLongKey).toMatchObject({ errno: 1406 });
    expect(classifySqlFailure(tooLongKey)).toBe('refused');
    const tooLongText = await ds.query(sql.replace("''", '?'), [Buffer.alloc(32), null, MULTIBYTE.repeat(10_000)]).then(
      () => null,
      (err: unknown) => err,
    );
    expect(classifySqlFailure(tooLongText)).toBe('refused');
  });

  it('a second write of the same record never replaces a copy stored whole with a shortened one', async () => {
    const repository = new DeadLettersRepository(ds);
    const topic = unique('refail');
    const record: DeadLetterRecord = {
      subscriptionId: 1,
      topic,
      partition: 0,
      offset: 7,
      key: Buffer.from('order-7'),
      headers: [['trace', Buffer.from('abc').toString('base64')]],
      value: Buffer.from('{"n":7}'),
      timestamp: 1_700_000_000_000,
      transformedBody: '{"n":7}',
      reason: DeadLetterReason.RetriesExhausted,
      attempts: 3,
      lastStatus: 503,
      lastError: 'HTTP 503',
      responseExcerpt: 'busy',
      firstAttemptAt: new Date(),
      lastAttemptAt: new Date(),
    };
    const row = async () =>
      (await ds.query('SELECT record_key, record_value, transformed_body, truncated_fields, last_error, attempts FROM dead_letters WHERE topic = ?', [
        topic,
      ])) as any[];
    await repository.upsert(boundDeadLetter(record, 1 << 20));
    // The same record fails again, and this time the database refused its payload.
    await repository.upsert(minimalDeadLetter({ ...record, attempts: 1, lastError: 'HTTP 400' }, 'ER_DATA_TOO_LONG: test'));
    const [kept] = await row();
    expect((await row()).length).toBe(1);
    expect([String(kept.record_key), String(kept.record_value), kept.transformed_body, kept.truncated_fields, kept.attempts]).toEqual([
      'order-7',
      '{"n":7}',
      '{"n":7}',
      // The latest attempt's response excerpt was left out, and the marks say so.
      { responseExcerpt: 4 },
      4,
    ]);
    expect(kept.last_error).toMatch(/kept without key, headers, value and bodies\. Error: HTTP 400$/);
    // The other way round, the whole copy replaces the shortened one and its marks go.
    const other = { ...record, topic: unique('refail') };
    await repository.upsert(minimalDeadLetter(other, 'ER_DATA_TOO_LONG: test'));
    await repository.upsert(boundDeadLetter(other, 1 << 20));
    const [whole] = (await ds.query('SELECT record_value, truncated_fields FROM dead_letters WHERE topic = ?', [other.topic])) as any[];
    expect([String(whole.record_value), whole.truncated_fields]).toEqual(['{"n":7}', null]);
  });
});
