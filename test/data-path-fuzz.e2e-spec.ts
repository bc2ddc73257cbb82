import fc from 'fast-check';
import { subscriptionBody, unique } from './support/fixtures';
import type { TestRecord } from './support/kafka-client';
import { LivenessWatch } from './support/liveness-watch';
import type { ReceivedRequest } from './support/sink-server';
import { FUZZ_RUNS, FUZZ_SEED } from './support/test-env';
import { useTestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

/** express's default body limit: bigger requests are answered 413, as many real endpoints do. */
const ENDPOINT_BODY_LIMIT = 100 * 1024;
const PARTITIONS = 2;

const nest = (levels: number, open: string, leaf: string, close: string) => open.repeat(levels) + leaf + close.repeat(levels);

/** Record values: ordinary, hostile and broken, as producers have sent them to peer systems. */
const value: fc.Arbitrary<string | Buffer | null> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .record({
        type: fc.constantFrom('a', 'b'),
        seq: fc.integer(),
        items: fc.array(
          fc.record({
            name: fc.oneof(
              fc.string(),
              fc.integer(),
              fc.constant(null),
              fc.integer({ min: 20, max: 60 }).map((n) => `${'a'.repeat(n)}!`),
            ),
          }),
          { maxLength: 3 },
        ),
      })
      .map((v) => JSON.stringify(v)),
  },
  { weight: 3, arbitrary: fc.json({ depthSize: 'medium' }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '{"n":9007199254740993,"type":"a"}',
      '{"n":1.50,"m":1e400}',
      '[0.1000000000000000055511151231257827]',
      '{"__proto__":{"x":1},"type":"a"}',
    ),
  },
  { weight: 1, arbitrary: fc.integer({ min: 300, max: 6000 }).chain((n) => fc.constantFrom(nest(n, '[', '1', ']'), nest(n, '{"a":', '{"secret":1.50}', '}'))) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.integer({ min: 20_000, max: 300_000 }).map((n) => JSON.stringify({ type: 'a', pad: 'é'.repeat(n) })) },
  { weight: 1, arbitrary: fc.constant(null) },
);

const key: fc.Arbitrary<string | Buffer | null> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(null) },
  { weight: 3, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 24 }).map((b) => Buffer.from(b)) },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 70_000 }).map((n) => 'k'.repeat(n)) },
);

const headers = fc.option(
  fc.dictionary(
    // A plain object drops a __proto__ key into its prototype, and the producer then refuses the header.
    fc.string({ minLength: 1, maxLength: 12 }).filter((name) => name !== '__proto__'),
    fc.uint8Array({ maxLength: 32 }).map((b) => Buffer.from(b)),
    { maxKeys: 3 },
  ),
  { nil: undefined },
);

const record: fc.Arbitrary<TestRecord> = fc.record({ key, value, headers, partition: fc.integer({ min: 0, max: PARTITIONS - 1 }) });

const RULES = [
  { path: '$.type', op: 'neq', value: 'b' },
  { path: '$.items[?(@.name && @.name.startsWith("v"))]', op: 'exists', value: false },
  { path: '$..secret', op: 'exists', value: false },
  { path: '$.n', op: 'neq', value: 9007199254740993 },
  { path: '$.items[*].name', op: 'regex', value: '^[a-z]' },
  { path: '$.items[*].name', op: 'regex', value: '^(\\w+\\s?)*$' },
];

const config = fc.record({
  filter: fc.subarray(RULES, { maxLength: 3 }),
  fields: fc.option(fc.constantFrom({ whole: '$' }, { type: '$.type' }, { names: '$.items[*].name', n: '$.n' }, { all: '$..a' }), { nil: undefined }),
  ordering: fc.constantFrom('partition', 'key', 'unordered'),
  maxInFlight: fc.integer({ min: 1, max: 4 }),
  batchSize: fc.oneof(fc.constant(1), fc.integer({ min: 2, max: 20 })),
  batchWaitMs: fc.integer({ min: 0, max: 20 }),
  maxBatchBytes: fc.oneof(fc.constant(1024 * 1024), fc.integer({ min: 1024, max: 200 * 1024 })),
  maxRetries: fc.integer({ min: 0, max: 1 }),
});

/** A record described by sizes and a prefix, for failure reports. */
function shape(r: TestRecord): Record<string, unknown> {
  const brief = (v: string | Buffer | null | undefined) =>
    v === null || v === undefined ? v : `${typeof v === 'string' ? 'text' : 'bytes'}(${v.length}) ${JSON.stringify(v.toString().slice(0, 40))}`;
  return { partition: r.partition, key: brief(r.key), value: brief(r.value), headers: r.headers ? Object.keys(r.headers).length : 0 };
}

/** The records a request carried, as "partition:offset". */
function carried(req: ReceivedRequest): string[] {
  const runs = req.headers['x-kafka-records'];
  if (typeof runs !== 'string') return [`${String(req.headers['x-kafka-partition'])}:${String(req.headers['x-kafka-offset'])}`];
  const out: string[] = [];
  for (const run of runs.split(',')) {
    const [partition, range] = run.split(':');
    const [from, to = from] = range.split('-').map(Number);
    for (let o = from; o <= to; o++) out.push(`${partition}:${o}`);
  }
  return out;
}

/**
 * Property-based fuzz of the whole data path (issue 15): random and hostile records (bytes,
 * encodings, depths, sizes, keys, headers, tombstones) on a real Kafka, through random
 * subscription configs, to a real endpoint that refuses bodies over 100 KB. The property: every
 * record ends delivered, filtered or dead-lettered (each exactly one of them) within a bound,
 * every partition's committed offset reaches its end, and /health/live answers within 1 s
 * throughout. FUZZ_RUNS cases (12 in CI); FUZZ_SEED replays a failing run.
 */
describe('data path fuzz', () => {
  const t = useTestWorld({
    responder: (req) =>
      Buffer.byteLength(req.body) > ENDPOINT_BODY_LIMIT ? { status: 413, body: 'request entity too large' } : { status: 200, body: { errcode: 0 } },
  });

  it(
    'ends every record delivered, filtered or dead-lettered, with no partition wedged and the process responsive',
    async () => {
      let cases = 0;
      const outcome = await fc.check(
        fc.asyncProperty(config, fc.array(record, { minLength: 1, maxLength: 40 }), async (cfg, records) => {
          const n = ++cases;
          const topic = unique('fuzz');
          const path = `/fuzz-${n}-${topic}`;
          await t.kafka.createTopic(topic, PARTITIONS);
          await t.client.produce(topic, records);
          const ends = new Array<number>(PARTITIONS).fill(0);
          for (const r of records) ends[r.partition!]++;
          const live = LivenessWatch.start(t.proxy.baseUrl);
          const created = await t.proxy.api(
            'POST',
            '/api/subscriptions',
            subscriptionBody({
              name: unique('fuzz'),
              brokers: t.kafka.bootstrap,
              topic,
              url: `${t.sink.url}${path}`,
              etl: { filter: cfg.filter, ...(cfg.fields ? { fields: cfg.fields } : {}) },
              delivery: {
                ordering: cfg.ordering,
                maxInFlight: cfg.maxInFlight,
                batchSize: cfg.batchSize,
                batchWaitMs: cfg.batchWaitMs,
                maxBatchBytes: cfg.maxBatchBytes,
                maxRetries: cfg.maxRetries,
                backoffMs: 10,
                maxBackoffMs: 20,
              },
            }),
          );
          expect(created.status).toBe(201);
          const sub = created.body as { id: number; kafka: { groupId: string } };
          try {
            await waitFor(
              async () => (await t.client.committed(sub.kafka.groupId, topic, PARTITIONS)).every((o, p) => o === ends[p]),
              `case ${n}: every partition committed to its end (${ends.join(', ')})`,
              { timeoutMs: 60_000, intervalMs: 100 },
            );
          } finally {
            await live.stop();
          }
          const delivered = new Set<string>();
          for (const req of t.sink.requests)
            if (req.path === path && req.status !== undefined && req.status >= 200 && req.status < 300) for (const c of carried(req)) delivered.add(c);
          const rows = (await t.proxy.api('GET', `/api/dead-letters?subscriptionId=${sub.id}&limit=500`)).body as Array<{
            partition: number;
            offset: number;
            reason: string;
            lastStatus: number | null;
            valueBytes: number | null;
          }>;
          // Only a record too big on its own may end refused for size: 413s split batches until then.
          if (!cfg.fields) {
            for (const row of rows.filter((r) => r.lastStatus === 413)) expect(row.valueBytes ?? 0).toBeGreaterThan(ENDPOINT_BODY_LIMIT - 2);
          }
          const dead = new Set(rows.map((r) => `${r.partition}:${r.offset}`));
          expect(dead.size).toBe(rows.length);
          for (const c of dead) expect(delivered.has(c)).toBe(false);
          const filtered = await waitFor(
            async () => {
              const metrics = (await t.proxy.api('GET', '/metrics')).body as string;
              const m = new RegExp(`kproxy_messages_filtered_total\\{subscription="${sub.id}"\\} (\\d+)`).exec(metrics);
              const count = m ? Number(m[1]) : 0;
              return delivered.size + dead.size + count === records.length ? { count } : null;
            },
            `case ${n}: delivered (${delivered.size}) + dead-lettered (${dead.size}) + filtered to account for all ${records.length} records`,
            { timeoutMs: 5_000 },
          );
          expect(live.probes).toBeGreaterThan(0);
          expect(live.slowestMs).toBeLessThan(1000);
          await t.proxy.api('DELETE', `/api/subscriptions/${sub.id}`);
          process.stdout.write(
            `[fuzz] case ${n}: ${records.length} records, ${cfg.ordering}, batch ${cfg.batchSize}, ${cfg.filter.length} rules${cfg.fields ? ', fields' : ''}: ` +
              `delivered ${delivered.size}, filtered ${filtered.count}, dead-lettered ${dead.size} (${[...new Set(rows.map((r) => r.reason))].join(' ')}), slowest live ${Math.round(live.slowestMs)} ms\n`,
          );
        }),
        { numRuns: FUZZ_RUNS, seed: FUZZ_SEED, endOnFailure: true },
      );
      if (outcome.failed) {
        // The counterexample's values can be megabytes: report their shape and the seed that replays it.
        const [cfg, records] = outcome.counterexample ?? [undefined, []];
        throw new Error(
          `fuzz case failed (replay with FUZZ_SEED=${outcome.seed}): ${outcome.errorInstance instanceof Error ? outcome.errorInstance.message : String(outcome.errorInstance)}\n` +
            `config ${JSON.stringify(cfg)}\nrecords ${JSON.stringify(records.map(shape))}`,
        );
      }
    },
    120_000 + FUZZ_RUNS * 75_000,
  );
});
