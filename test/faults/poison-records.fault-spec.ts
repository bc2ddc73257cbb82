import { subscriptionBody, unique } from '../support/fixtures';
import type { TestRecord } from '../support/kafka-client';
import { LivenessWatch } from '../support/liveness-watch';
import { useTestWorld } from '../support/test-world';
import { waitFor } from '../support/wait-for';

/** How a record must end: delivered, filtered, or dead-lettered with this reason. */
type Fate = 'delivered' | 'filtered' | { reason: string; error?: RegExp };

interface Poison {
  kind: string;
  record: TestRecord;
  fate: Fate;
}

const nest = (levels: number, leaf: string) => '{"a":'.repeat(levels) + leaf + '}'.repeat(levels);
const DEEP_RESPONSE_SEQ = 100_001;
const HUGE_ERRCODE_SEQ = 100_002;

/**
 * Fault scenario 7: poison records among good ones, one of every kind that once stopped a
 * partition or froze the process (issue 15). Each poison record ends filtered or dead-lettered
 * with the reason that says what failed, every good record is delivered, the partition moves to
 * its end, and the process answers /health/live within 1 s throughout.
 */
describe('poison records', () => {
  const t = useTestWorld({
    proxy: { env: { MAX_MESSAGE_BYTES: String(512 * 1024) } },
    responder: (req) => {
      const seq = (JSON.parse(req.body) as { seq?: number }).seq;
      // A response nested 20,000 levels with an inexact number used to overflow the errcode reader's stack.
      if (seq === DEEP_RESPONSE_SEQ) return { status: 200, body: nest(20_000, '1.50') };
      // An errcode within the 64 KiB of a response kproxy reads whose error text, quoting it, exceeds the last_error column (65,535 bytes).
      if (seq === HUGE_ERRCODE_SEQ) return { status: 200, body: { errcode: 'é'.repeat(32_750) } };
      return { status: 200, body: { errcode: 0 } };
    },
  });

  it('ends each poison record filtered or dead-lettered with its reason and delivers everything else', async () => {
    const topic = unique('poison');
    await t.kafka.createTopic(topic, 1);
    const poison: Poison[] = [
      { kind: 'truncated JSON', record: { value: '{"seq": 1, "broken"' }, fate: { reason: 'not_json', error: /JSON/ } },
      { kind: 'plain text', record: { value: 'plain text' }, fate: { reason: 'not_json', error: /JSON/ } },
      {
        kind: 'invalid UTF-8',
        record: { value: Buffer.concat([Buffer.from('{"seq": 7, "name": "'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}')]) },
        fate: { reason: 'not_json', error: /UTF-8/ },
      },
      {
        kind: 'UTF-8 surrogate',
        record: { value: Buffer.from([0x7b, 0x22, 0x73, 0x65, 0x71, 0x22, 0x3a, 0x31, 0xed, 0xa0, 0x80, 0x7d]) },
        fate: { reason: 'not_json', error: /UTF-8/ },
      },
      // Kafka's default record limit is ~1 MB, so the proxy's limit is lowered to show the path.
      { kind: 'over MAX_MESSAGE_BYTES', record: { value: JSON.stringify({ seq: 9, pad: 'x'.repeat(900 * 1024) }) }, fate: { reason: 'too_large' } },
      { kind: 'no field', record: { value: JSON.stringify({ text: 't', other: 1 }) }, fate: { reason: 'path_not_matched' } },
      { kind: 'tombstone', record: { value: null }, fate: { reason: 'no_value' } },
      { kind: '100,000 nested arrays', record: { value: '['.repeat(100_000) + ']'.repeat(100_000) }, fate: { reason: 'too_deep' } },
      { kind: '3,000 levels under a .. path', record: { value: nest(3000, '{"secret":1}') }, fate: { reason: 'too_deep' } },
      {
        kind: '4,200 levels under a projected field',
        record: { value: `{"seq":11,"text":"t","payload":${'['.repeat(4200)}1${']'.repeat(4200)}}` },
        fate: { reason: 'too_deep', error: /512 levels/ },
      },
      {
        kind: 'filter script meets a number',
        record: { value: JSON.stringify({ seq: 12, text: 't', items: [{ name: 5 }] }) },
        fate: { reason: 'etl_error', error: /startsWith/ },
      },
      { kind: 'filter script matches', record: { value: JSON.stringify({ seq: 13, text: 't', items: [{ name: 'vip-1' }] }) }, fate: 'filtered' },
      // Backtracking regex engines take days on this; RE2 answers at once (and the rule filters it).
      { kind: 'catastrophic regex input', record: { value: JSON.stringify({ seq: 14, text: `${'a'.repeat(40)}!` }) }, fate: 'filtered' },
      // Over the record_key column (65,535 bytes); the endpoint refuses a 70 KB header (431).
      {
        kind: '70,000-byte key',
        record: { key: 'k'.repeat(70_000), value: JSON.stringify({ seq: 15, text: 't' }) },
        fate: { reason: 'rejected', error: /431/ },
      },
      {
        kind: 'error text over its column',
        record: { value: JSON.stringify({ seq: HUGE_ERRCODE_SEQ, text: 't' }) },
        fate: { reason: 'retries_exhausted', error: /^errcode "é+…?/ },
      },
      {
        kind: 'response nested 20,000 levels',
        record: { value: JSON.stringify({ seq: DEEP_RESPONSE_SEQ, text: 't' }) },
        fate: { reason: 'retries_exhausted', error: /nests deeper than 512 levels/ },
      },
    ];
    const records: TestRecord[] = [];
    const good = 300;
    let p = 0;
    for (let i = 0; i < good; i++) {
      records.push({ value: JSON.stringify({ seq: i, text: 'ünïcødé ✓' }) });
      if (i % 20 === 10 && p < poison.length) records.push(poison[p++].record);
    }
    while (p < poison.length) records.push(poison[p++].record);
    await t.client.produce(topic, records);
    const live = LivenessWatch.start(t.proxy.baseUrl);
    const sub = (
      await t.proxy.api(
        'POST',
        '/api/subscriptions',
        subscriptionBody({
          name: unique('poison'),
          brokers: t.kafka.bootstrap,
          topic,
          url: `${t.sink.url}/poison`,
          etl: {
            filter: [
              { path: '$.items[?(@.name && @.name.startsWith("vip"))]', op: 'exists', value: false },
              { path: '$..secret', op: 'exists', value: false },
              { path: '$.text', op: 'regex', value: '^(\\w+\\s?)*$|^ü' },
            ],
            fields: { seq: '$.seq', text: '$.text' },
          },
          endpoint: { errcodePath: '$.errcode', errcodeOk: [0] },
          delivery: { ordering: 'partition', maxInFlight: 1, maxRetries: 1 },
        }),
      )
    ).body;
    try {
      await waitFor(async () => (await t.client.committed(sub.kafka.groupId, topic, 1))[0] === records.length, 'the partition to move past every record', {
        timeoutMs: 90_000,
      });
    } finally {
      await live.stop();
    }
    const received = t.sink.requests.filter((q) => q.path === '/poison').map((q) => JSON.parse(q.body) as { seq: number; text: string });
    const delivered = new Set(received.filter((r) => r.seq < good).map((r) => r.seq));
    const rows = (await t.proxy.api('GET', `/api/dead-letters?subscriptionId=${sub.id}&limit=500`)).body as Array<{
      id: number;
      offset: number;
      reason: string;
      lastError: string;
    }>;
    // Counted by kproxy itself: a record filtered by mistake must not pass as an expected one.
    const metrics = (await t.proxy.api('GET', '/metrics')).body as string;
    const filtered = Number(new RegExp(`kproxy_messages_filtered_total\\{subscription="${sub.id}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
    expect(filtered).toBe(poison.filter((x) => x.fate === 'filtered').length);
    const lost = records.length - delivered.size - rows.length - filtered;
    const byReason = new Map<string, number>();
    for (const row of rows) byReason.set(row.reason, (byReason.get(row.reason) ?? 0) + 1);
    process.stdout.write(
      `[faults] poison records: produced ${records.length} (${good} good, ${poison.length} poison of ${poison.length} kinds), delivered ${delivered.size}, ` +
        `filtered ${filtered}, dead-lettered ${rows.length} (${[...byReason].map(([r, n]) => `${r} ${n}`).join(', ')}), lost ${lost}, ` +
        `slowest /health/live ${Math.round(live.slowestMs)} ms of ${live.probes} probes\n`,
    );
    expect(lost).toBe(0);
    for (let i = 0; i < good; i++) expect(delivered.has(i)).toBe(true);
    expect(received.filter((r) => r.seq < good).every((r) => r.text === 'ünïcødé ✓')).toBe(true);
    const expected = poison.filter((x) => x.fate !== 'filtered' && x.fate !== 'delivered');
    expect(rows.map((r) => r.reason).sort()).toEqual(expected.map((x) => (x.fate as { reason: string }).reason).sort());
    for (const x of expected) {
      const fate = x.fate as { reason: string; error?: RegExp };
      if (fate.error)
        expect(rows.filter((r) => r.reason === fate.reason).map((r) => r.lastError.slice(0, 120))).toContainEqual(expect.stringMatching(fate.error));
    }
    expect(live.probes).toBeGreaterThan(0);
    expect(live.slowestMs).toBeLessThan(1000);
    // A record the ETL cannot transform is refused again on re-delivery, with a 4xx that says why.
    const etlError = rows.find((r) => r.reason === 'etl_error')!;
    const again = await t.proxy.api('POST', `/api/dead-letters/${etlError.id}/redeliver`);
    expect(again.status).toBe(422);
    expect(again.body.message).toMatch(/current config: etl_error: ETL failed on the value: .*startsWith/);
  });
});
