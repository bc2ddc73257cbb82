import { subscriptionBody, unique } from '../support/fixtures';
import type { TestRecord } from '../support/kafka-client';
import { useTestWorld } from '../support/test-world';
import { waitFor } from '../support/wait-for';

/**
 * Fault scenario 7: poison records among good ones. Each poison record is dead-lettered with
 * its reason, every good record is delivered, and the partition keeps moving to the end.
 */
describe('poison records', () => {
  const t = useTestWorld({ proxy: { env: { MAX_MESSAGE_BYTES: String(512 * 1024) } } });

  it('dead-letters each poison record with its reason and delivers everything else', async () => {
    const topic = unique('poison');
    await t.kafka.createTopic(topic, 1);
    const poison: Array<{ value: TestRecord['value']; reason: string }> = [
      { value: '{"seq": 1, "broken"', reason: 'not_json' },
      { value: 'plain text', reason: 'not_json' },
      { value: Buffer.concat([Buffer.from('{"seq": 7, "name": "'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}')]), reason: 'not_json' },
      { value: Buffer.from([0x7b, 0x22, 0x73, 0x65, 0x71, 0x22, 0x3a, 0x31, 0xed, 0xa0, 0x80, 0x7d]), reason: 'not_json' },
      // Kafka's default record limit is ~1 MB, so the proxy's limit is lowered to show the path.
      { value: JSON.stringify({ seq: 9, pad: 'x'.repeat(900 * 1024) }), reason: 'too_large' },
      { value: '['.repeat(100_000) + ']'.repeat(100_000), reason: 'path_not_matched' },
      { value: JSON.stringify({ other: 1 }), reason: 'path_not_matched' },
      { value: null, reason: 'no_value' },
    ];
    const records: TestRecord[] = [];
    const good = 300;
    let p = 0;
    for (let i = 0; i < good; i++) {
      records.push({ value: JSON.stringify({ seq: i, text: 'ünïcødé ✓' }) });
      if (i % 30 === 15 && p < poison.length) records.push({ value: poison[p++].value });
    }
    while (p < poison.length) records.push({ value: poison[p++].value });
    await t.client.produce(topic, records);
    const sub = (
      await t.proxy.api('POST', '/api/subscriptions', subscriptionBody({
        name: unique('poison'),
        brokers: t.kafka.bootstrap,
        topic,
        url: `${t.sink.url}/poison`,
        etl: { fields: { seq: '$.seq', text: '$.text' } },
        delivery: { ordering: 'partition', maxInFlight: 4 },
      }))
    ).body;
    await waitFor(async () => (await t.client.committed(sub.kafka.groupId, topic, 1))[0] === records.length, 'the partition to move past every record', {
      timeoutMs: 60_000,
    });
    const received = t.sink.requests.filter((q) => q.path === '/poison').map((q) => JSON.parse(q.body) as { seq: number; text: string });
    const distinct = new Set(received.map((r) => r.seq));
    const rows = (await t.proxy.api('GET', `/api/dead-letters?subscriptionId=${sub.id}&limit=500`)).body as Array<{ reason: string; lastError: string }>;
    const lost = records.length - distinct.size - rows.length;
    process.stdout.write(
      `[faults] poison records: produced ${records.length}, delivered ${distinct.size}, duplicates ${received.length - distinct.size}, dead-lettered ${rows.length}, lost ${lost}\n`,
    );
    expect(lost).toBe(0);
    for (let i = 0; i < good; i++) expect(distinct.has(i)).toBe(true);
    expect(received.every((r) => r.text === 'ünïcødé ✓')).toBe(true);
    expect(rows.map((r) => r.reason).sort()).toEqual(poison.map((x) => x.reason).sort());
    for (const row of rows.filter((r) => r.reason === 'not_json')) expect(row.lastError).toMatch(/JSON|UTF-8/);
  });
});
