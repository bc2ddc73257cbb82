import Ajv2020 from 'ajv/dist/2020';
import { createConnection } from 'mysql2/promise';
import { subscriptionBody, unique } from './support/fixtures';
import { TEST_DATABASE_URL } from './support/test-env';
import { useTestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

const OPERATOR = 'operator-token-0123456789';
const REQUESTER = 'requester-token-0123456789';
const RECORDS = 120;
const DELAY_MS = 20;

interface Point {
  time: string;
  seconds: number;
  deliveredPerSecond: number | null;
  errorsPerSecond: number | null;
  errorRate: number | null;
  attempts: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  lag: number | null;
}

/** Σ rate × step length: the records a series accounts for. */
const total = (points: Point[], key: 'deliveredPerSecond' | 'errorsPerSecond') => points.reduce((n, p) => n + (p[key] ?? 0) * p.seconds, 0);

/**
 * The metrics history end to end: a real proxy sampling every second while it delivers a backlog
 * to a slow sink, and GET /api/subscriptions/:id/metrics turning its rows into the numbers the
 * console charts (delivered/s, errors, p50/p99 latency, lag).
 */
describe('metrics history', () => {
  const t = useTestWorld({
    // Every delivery takes DELAY_MS; the record marked flaky fails once and is retried.
    responder: (q, attempt) => (q.body.includes('"flaky":true') && attempt === 1 ? { status: 503 } : { status: 200, delayMs: DELAY_MS }),
    proxy: {
      adminToken: OPERATOR,
      env: { REQUESTER_TOKENS: `team-a=${REQUESTER}`, METRICS_SAMPLE_INTERVAL_MS: '1000' },
    },
  });

  it('shows what was delivered, how fast, how slowly and how far behind, summed from the samples', async () => {
    const topic = unique('metrics');
    await t.kafka.createTopic(topic, 1);
    const created = await t.proxy.api(
      'POST',
      '/api/subscriptions',
      subscriptionBody({ name: unique('metrics-sub'), brokers: t.kafka.bootstrap, topic, url: `${t.sink.url}/metrics`, delivery: { maxInFlight: 1 } }),
    );
    expect(created.status).toBe(201);
    const id = created.body.id as number;
    const series = async (window = '10m') => {
      const res = await t.proxy.api('GET', `/api/subscriptions/${id}/metrics?window=${window}`);
      expect(res.status).toBe(200);
      return res.body as { samplingIntervalMs: number; stepMs: number; from: string; to: string; points: Point[] };
    };

    // Two samples of the idle subscription first: the increases from here on are all counted.
    await waitFor(async () => (await series()).points.some((p) => p.deliveredPerSecond === 0), 'a first point of the running subscription', {
      timeoutMs: 60_000,
      intervalMs: 250,
    });
    const records = Array.from({ length: RECORDS }, (_, n) => ({ value: JSON.stringify(n === 10 ? { n, flaky: true } : { n }) }));
    await t.client.produce(topic, records);
    await waitFor(() => new Set(t.sink.requests.filter((q) => q.status === 200).map((q) => q.body)).size === RECORDS, 'every record delivered', {
      timeoutMs: 60_000,
    });

    // Once the instance has sampled past the last delivery, the series accounts for every record.
    const done = await waitFor(
      async () => {
        const s = await series();
        return Math.abs(total(s.points, 'deliveredPerSecond') - RECORDS) < 0.5 && s.points[s.points.length - 1].lag === 0 && s;
      },
      `the series to account for ${RECORDS} deliveries and end with no lag`,
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    // The answer is what the OpenAPI document this proxy serves says it is.
    const doc = (await t.proxy.api('GET', '/docs/openapi.json')).body;
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    ajv.addFormat('date-time', (v: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(v));
    ajv.addSchema({ $id: 'https://kproxy.invalid/openapi.json', components: doc.components });
    const validate = ajv.compile(
      JSON.parse(
        JSON.stringify(doc.paths['/api/subscriptions/{id}/metrics'].get.responses['200'].content['application/json'].schema).replaceAll(
          '"#/components/',
          '"https://kproxy.invalid/openapi.json#/components/',
        ),
      ),
    );
    expect(validate(done) ? [] : validate.errors).toEqual([]);
    expect(done.samplingIntervalMs).toBe(1000);
    expect(done.stepMs).toBe(1000);
    // A backlog draining one delivery at a time over several seconds.
    const busy = done.points.filter((p) => (p.deliveredPerSecond ?? 0) > 0);
    expect(busy.length).toBeGreaterThanOrEqual(2);
    for (const p of busy) expect(p.deliveredPerSecond).toBeLessThanOrEqual(1000 / DELAY_MS);
    // The one retry: 1 of RECORDS + 1 outcomes.
    expect(total(done.points, 'errorsPerSecond')).toBeCloseTo(1, 2);
    expect(done.points.some((p) => (p.errorRate ?? 0) > 0)).toBe(true);
    // Latency: each attempt took at least DELAY_MS, so p50 lies in the (10, 25] or (25, 50] ms bucket, and p99 no lower.
    for (const p of busy) {
      expect(p.attempts).toBeGreaterThan(0);
      expect(p.p50Ms).toBeGreaterThan(10);
      expect(p.p50Ms).toBeLessThanOrEqual(250);
      expect(p.p99Ms).toBeGreaterThanOrEqual(p.p50Ms!);
    }
    // Lag: records waited behind the slow endpoint, and none are left.
    expect(Math.max(...done.points.map((p) => p.lag ?? 0))).toBeGreaterThan(10);
    // Steps are whole seconds on the database clock, oldest first, the series ending at its newest sample.
    const times = done.points.map((p) => Date.parse(p.time));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(times.every((ms) => ms % 1000 === 0)).toBe(true);
    expect(Date.parse(done.to)).toBe(times[times.length - 1] + done.points[done.points.length - 1].seconds * 1000);

    // One row per tick while it runs, written as one statement per tick.
    const conn = await createConnection(TEST_DATABASE_URL);
    try {
      const [rows] = await conn.query('SELECT sampled_at, COUNT(*) AS n FROM metric_samples WHERE subscription_id = ? GROUP BY sampled_at', [id]);
      expect((rows as Array<{ n: number }>).every((r) => Number(r.n) === 1)).toBe(true);
      expect((rows as unknown[]).length).toBeGreaterThanOrEqual(5);
    } finally {
      await conn.end();
    }
  });

  it('names a bad window, and shows a subscription only to those who may read its status', async () => {
    const topic = unique('metrics-rules');
    await t.kafka.createTopic(topic, 1);
    const created = await t.proxy.api(
      'POST',
      '/api/subscriptions',
      subscriptionBody({ name: unique('metrics-rules'), brokers: t.kafka.bootstrap, topic, url: `${t.sink.url}/rules`, status: 'stopped' }),
    );
    const id = created.body.id as number;
    for (const [window, message] of [
      ['2d', 'must be a whole number of seconds, minutes or hours, such as 90s, 15m or 1h'],
      ['1s', '"1s" must be between two sampling intervals (2s, METRICS_SAMPLE_INTERVAL_MS) and the history\'s retention (3600s, METRICS_RETENTION_MS)'],
      ['61m', '"61m" must be between two sampling intervals (2s, METRICS_SAMPLE_INTERVAL_MS) and the history\'s retention (3600s, METRICS_RETENTION_MS)'],
    ]) {
      const res = await t.proxy.api('GET', `/api/subscriptions/${id}/metrics?window=${window}`);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.fields).toEqual([{ path: 'window', message }]);
    }
    const unknownParam = await t.proxy.api('GET', `/api/subscriptions/${id}/metrics?span=1h`);
    expect(unknownParam.status).toBe(400);
    // Stopped and never run: no samples, an empty series rather than an error.
    const empty = await t.proxy.api('GET', `/api/subscriptions/${id}/metrics`);
    expect(empty.status).toBe(200);
    expect(empty.body).toMatchObject({ subscriptionId: id, window: '1h', points: [] });

    expect((await t.proxy.api('GET', `/api/subscriptions/${id}/metrics`, undefined, REQUESTER)).body.code).toBe('OTHER_TEAMS_SUBSCRIPTION');
    expect((await t.proxy.api('GET', `/api/subscriptions/${id}/metrics`, undefined, REQUESTER)).status).toBe(403);
    expect((await t.proxy.api('GET', '/api/subscriptions/999999/metrics')).status).toBe(404);
  });
});
