import { subscriptionBody, unique } from '../support/fixtures';
import type { ProxyProcess } from '../support/proxy-process';
import { useTestWorld } from '../support/test-world';
import { waitFor } from '../support/wait-for';

const EXCERPT_BYTES = 4096;
const LIST_MAX_BYTES = 65_536;
const BULK_MAX = 25;

/** Requests to /bulk wait here until the test lets them go (answered 200), once `accepting`. */
class Valve {
  accepting = false;
  private held: Array<() => void> = [];
  hold(): Promise<void> {
    return new Promise((resolve) => this.held.push(resolve));
  }
  get waiting(): number {
    return this.held.length;
  }
  release(): void {
    for (const go of this.held.splice(0)) go();
  }
}

/** Every row of a list, following its Link rel="next" headers; also returns each page's size in bytes. */
async function allRows(proxy: ProxyProcess, query: string): Promise<{ rows: any[]; pageBytes: number[]; pages: number }> {
  const rows: any[] = [];
  const pageBytes: number[] = [];
  let path: string | null = `/api/dead-letters?${query}`;
  let pages = 0;
  while (path) {
    const res = await fetch(proxy.baseUrl + path);
    const text = await res.text();
    expect(res.status).toBe(200);
    pageBytes.push(Buffer.byteLength(text));
    rows.push(...(JSON.parse(text) as any[]));
    pages++;
    const link = res.headers.get('link');
    path = link ? /^<([^>]+)>; rel="next"$/.exec(link)![1] : null;
  }
  return { rows, pageBytes, pages };
}

const metric = (text: string, name: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith(name))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);

/**
 * Issue 17 (tenants cannot hurt each other), answers and work that had no bound: the dead-letter
 * list (full values of hundreds of rows, polled every 3 s), bulk re-delivery (one unbounded
 * synchronous call) and subscription status (blocking Kafka calls per request on the pool the
 * consumers share).
 */
describe('bounded answers and work', () => {
  const valve = new Valve();
  const t = useTestWorld({
    responder: async (req) => {
      if (req.path === '/bulk' && valve.accepting) {
        await valve.hold();
        return { status: 200 };
      }
      if (req.path === '/big' || req.path === '/bulk' || req.path === '/other')
        return { status: 400, body: { error: 'refused', echo: req.body.slice(0, 10_000) } };
      return { status: 200 };
    },
    proxy: {
      env: {
        DEAD_LETTER_EXCERPT_BYTES: String(EXCERPT_BYTES),
        DEAD_LETTER_LIST_MAX_BYTES: String(LIST_MAX_BYTES),
        DEAD_LETTER_BULK_MAX_RECORDS: String(BULK_MAX),
        DEAD_LETTER_BULK_JOBS: '1',
        STATUS_CACHE_MS: '1000',
        STATUS_KAFKA_CONCURRENCY: '2',
      },
    },
  });

  async function subscribe(path: string, records: Array<{ key?: string; value: string | Buffer }>, partitions = 1) {
    const topic = unique(path.slice(1));
    await t.kafka.createTopic(topic, partitions);
    await t.client.produce(topic, records);
    const res = await t.proxy.api(
      'POST',
      '/api/subscriptions',
      subscriptionBody({
        name: unique(path.slice(1)),
        brokers: t.kafka.bootstrap,
        topic,
        url: t.sink.url + path,
        delivery: { maxRetries: 0, maxInFlight: 4, ordering: 'unordered' },
      }),
    );
    expect(res.status).toBe(201);
    return { topic, sub: res.body as { id: number; kafka: { groupId: string } } };
  }

  it('lists large dead letters as bounded excerpts, cut at a UTF-8 boundary, while the single route answers the value byte-exact', async () => {
    // 24 values of ~200 KB each, in 3-byte characters, one of them binary (not UTF-8).
    const values = Array.from({ length: 24 }, (_, i) => Buffer.from(JSON.stringify({ n: i, pad: '名'.repeat(66_000 + i) })));
    const binary = Buffer.concat([Buffer.from([0xff, 0xfe, 0x00]), Buffer.alloc(100_000, 0x41)]);
    const { sub } = await subscribe('/big', [...values.map((value, i) => ({ key: `k${i}`, value })), { key: 'bin', value: binary }]);
    const { rows, pageBytes, pages } = await waitFor(
      async () => {
        const all = await allRows(t.proxy, `subscriptionId=${sub.id}&limit=500`);
        return all.rows.length === 25 && all;
      },
      'the 25 dead letters',
      { timeoutMs: 60_000 },
    );

    // The whole answer is bounded: several pages, each within DEAD_LETTER_LIST_MAX_BYTES.
    expect(pages).toBeGreaterThan(1);
    for (const bytes of pageBytes) expect(bytes).toBeLessThanOrEqual(LIST_MAX_BYTES);
    expect(new Set(rows.map((r) => r.id)).size).toBe(25);

    for (const row of rows.filter((r) => r.key !== 'bin')) {
      const original = values[Number(row.key.slice(1))];
      expect(row.valueEncoding).toBe('utf8');
      expect(Buffer.byteLength(row.value)).toBeLessThanOrEqual(EXCERPT_BYTES);
      expect(Buffer.byteLength(row.value)).toBeGreaterThan(EXCERPT_BYTES - 3);
      expect(row.value).not.toContain('\uFFFD');
      expect(original.toString('utf8').startsWith(row.value)).toBe(true);
      expect(row).toMatchObject({ excerpted: true, valueBytes: original.length, recordKept: true, truncatedFields: {} });
      expect(row.excerptedFields.value).toBe(original.length);
      for (const field of ['transformedBody', 'lastError', 'responseExcerpt']) {
        if (row[field] !== null) expect(Buffer.byteLength(row[field])).toBeLessThanOrEqual(EXCERPT_BYTES);
      }
      // The single-item route answers the whole row, the value byte for byte.
      const whole = await t.proxy.api('GET', `/api/dead-letters/${row.id}`);
      expect(whole.status).toBe(200);
      expect(Buffer.from(whole.body.value, 'utf8').equals(original)).toBe(true);
      expect(whole.body).toMatchObject({ excerpted: false, excerptedFields: {}, valueBytes: original.length });
    }
    const bin = rows.find((r) => r.key === 'bin');
    expect(bin).toMatchObject({ valueEncoding: 'base64', valueBytes: binary.length, excerptedFields: { value: binary.length } });
    expect(Buffer.from(bin.value, 'base64').length).toBeLessThanOrEqual(EXCERPT_BYTES);
    expect(binary.subarray(0, Buffer.from(bin.value, 'base64').length).equals(Buffer.from(bin.value, 'base64'))).toBe(true);
    const wholeBin = (await t.proxy.api('GET', `/api/dead-letters/${bin.id}`)).body;
    expect(Buffer.from(wholeBin.value, 'base64').equals(binary)).toBe(true);
  }, 120_000);

  it('re-delivers in bounded background jobs: progress, a limit, a cancel between records, one job slot, and the synchronous route', async () => {
    const { sub } = await subscribe(
      '/bulk',
      Array.from({ length: 40 }, (_, i) => ({ value: JSON.stringify({ n: i }) })),
    );
    const pending = async () => (await allRows(t.proxy, `subscriptionId=${sub.id}&state=pending&limit=500`)).rows.length;
    await waitFor(async () => (await pending()) === 40, 'forty dead letters', { timeoutMs: 60_000 });
    const other = await subscribe('/other', [{ value: '{"n":"other"}' }]);
    valve.accepting = true;
    const sent = () => t.sink.requests.filter((r) => r.path === '/bulk' && r.status === 200).length;

    // Over the bound: refused, naming it.
    const over = await t.proxy.api('POST', '/api/dead-letters/redeliver-jobs', { subscriptionId: sub.id, limit: BULK_MAX + 1 });
    expect(over.status).toBe(400);
    expect(JSON.stringify(over.body.message)).toContain(`at most ${BULK_MAX} records`);

    // A job of 20: answered at once, its progress visible while the endpoint holds the records.
    const started = await t.proxy.api('POST', '/api/dead-letters/redeliver-jobs', { subscriptionId: sub.id, limit: 20 });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ subscriptionId: sub.id, limit: 20, done: 0 });
    expect(['queued', 'running']).toContain(started.body.state);
    const job = started.body.id as string;
    await waitFor(() => valve.waiting > 0, 'the job to send');
    const running = (await t.proxy.api('GET', `/api/dead-letters/redeliver-jobs/${job}`)).body;
    expect(running).toMatchObject({ state: 'running', total: 20, more: true, done: 0 });
    expect(running.startedAt).not.toBeNull();

    // One job at a time on this instance (DEAD_LETTER_BULK_JOBS=1): another is refused, naming it.
    const busy = await t.proxy.request('POST', '/api/dead-letters/redeliver-jobs', { body: { subscriptionId: other.sub.id } });
    expect(busy.status).toBe(429);
    expect(busy.headers.get('retry-after')).toBe('5');
    expect(JSON.stringify(busy.body.message)).toContain(job);
    const twice = await t.proxy.api('POST', '/api/dead-letters/redeliver', { subscriptionId: sub.id });
    expect(twice.status).toBe(409);

    const progress: number[] = [];
    const finished = await waitFor(async () => {
      valve.release();
      const now = (await t.proxy.api('GET', `/api/dead-letters/redeliver-jobs/${job}`)).body;
      progress.push(now.done);
      return now.state === 'done' && now;
    }, 'the job to end');
    expect(finished).toMatchObject({ total: 20, done: 20, succeeded: 20, failed: 0, more: true });
    expect(finished.finishedAt).not.toBeNull();
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(sent()).toBe(20);
    expect(await pending()).toBe(20);

    // A cancelled job stops between records: those in flight finish, no other is sent.
    const second = (await t.proxy.api('POST', '/api/dead-letters/redeliver-jobs', { subscriptionId: sub.id })).body;
    await waitFor(() => valve.waiting > 0, 'the second job to send');
    const cancelling = await t.proxy.api('POST', `/api/dead-letters/redeliver-jobs/${second.id}/cancel`);
    expect(cancelling.status).toBe(200);
    expect(cancelling.body.cancelRequested).toBe(true);
    const cancelled = await waitFor(async () => {
      valve.release();
      const now = (await t.proxy.api('GET', `/api/dead-letters/redeliver-jobs/${second.id}`)).body;
      return now.state === 'cancelled' && now;
    }, 'the second job to stop');
    expect(cancelled.total).toBe(20);
    expect(cancelled.done).toBeGreaterThan(0);
    expect(cancelled.done).toBeLessThan(20);
    expect(sent()).toBe(20 + cancelled.done);
    expect(await pending()).toBe(20 - cancelled.done);
    const listed = (await t.proxy.api('GET', '/api/dead-letters/redeliver-jobs')).body as Array<{ id: string }>;
    expect(listed.map((j) => j.id).slice(0, 2)).toEqual([second.id, job]);

    // The synchronous route keeps its answer, bounded the same way.
    const rest = 20 - cancelled.done;
    const releasing = setInterval(() => valve.release(), 20);
    try {
      const sync = await t.proxy.api('POST', '/api/dead-letters/redeliver', { subscriptionId: sub.id });
      expect(sync.status).toBe(200);
      expect(sync.body).toMatchObject({ redelivered: rest, failed: 0, discarded: 0, state: 'done', more: false });
      expect(typeof sync.body.jobId).toBe('string');
    } finally {
      clearInterval(releasing);
    }
    expect(await pending()).toBe(0);
    expect((await t.proxy.api('GET', '/api/dead-letters/redeliver-jobs/not-a-job')).status).toBe(400);
    expect((await t.proxy.api('GET', '/api/dead-letters/redeliver-jobs/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  }, 120_000);

  it('a flood of 200 status requests makes a bounded number of Kafka calls, and every answer is right', async () => {
    const records = [0, 1, 0, 1, 0].map((partition, n) => ({ partition, value: JSON.stringify({ n }) }));
    const { topic, sub } = await subscribe('/ok', records, 2);
    await waitFor(async () => {
      const c = await t.client.committed(sub.kafka.groupId, topic, 2);
      return c[0] === 3 && c[1] === 2;
    }, 'the five records committed');
    const calls = async () => metric((await t.proxy.api('GET', '/metrics')).body as string, 'kproxy_status_kafka_calls_total');
    const before = await calls();
    const began = Date.now();
    await waitFor(async () => {
      const s = (await t.proxy.api('GET', `/api/subscriptions/${sub.id}/status`)).body;
      return s.partitions?.[0]?.committedOffset === 3 && s.partitions?.[1]?.committedOffset === 2;
    }, 'status to show the commits');
    const answers = await Promise.all(Array.from({ length: 200 }, () => t.proxy.api('GET', `/api/subscriptions/${sub.id}/status`)));
    const tookMs = Date.now() - began;
    const made = (await calls()) - before;
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect(a.body.partitions).toEqual([
        { partition: 0, committedOffset: 3, highWatermark: 3, lag: 0 },
        { partition: 1, committedOffset: 2, highWatermark: 2, lag: 0 },
      ]);
      expect(a.body.ageMs).toBeGreaterThanOrEqual(0);
      expect(typeof a.body.generatedAt).toBe('string');
    }
    // One computation per STATUS_CACHE_MS at most: metadata, committed, two watermarks (and a connect).
    const computations = Math.ceil(tookMs / 1000) + 1;
    process.stdout.write(
      `status flood: 200 requests (and the polls before them) in ${tookMs} ms made ${made} Kafka calls (one computation per request: 800+)\n`,
    );
    expect(made).toBeGreaterThan(0);
    expect(made).toBeLessThanOrEqual(5 * computations);
    expect(new Set(answers.map((a) => a.body.generatedAt)).size).toBeLessThanOrEqual(computations);
  }, 120_000);
});
