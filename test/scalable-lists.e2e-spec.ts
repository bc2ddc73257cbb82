import { createConnection, type Connection } from 'mysql2/promise';
import { unique } from './support/fixtures';
import type { ProxyProcess } from './support/proxy-process';
import { TEST_DATABASE_URL } from './support/test-env';
import { useTestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

/**
 * Issue 20, item 4 (the server side): the subscription list searched, filtered by state, owner
 * and health, and paged among 300 subscriptions; the dead-letter list's filters and bulk jobs on
 * a selection and on a filter. The 300 rows are written with SQL (one statement per table), the
 * health as a peer instance's heartbeat row reports it, so nothing runs against Kafka.
 */
const COUNT = 300;
const TEAMS = ['team-a', 'team-b', null] as const;

interface Sub {
  id: number;
  name: string;
  topic: string;
  owner: string | null;
  status: 'running' | 'stopped';
}

describe('lists that scale', () => {
  const t = useTestWorld();
  let db: Connection;
  const subs: Sub[] = [];
  const run = unique('lists');

  beforeAll(async () => {
    // The proxy reads and writes DATETIME as UTC (typeorm-options: timezone Z); so does this.
    db = await createConnection({ uri: TEST_DATABASE_URL, timezone: 'Z' });
    for (let i = 1; i <= COUNT; i++) {
      subs.push({
        id: i,
        // Every tenth name holds "ALPHA", to be found as "alpha"; the number is not padded so the
        // byte order of the names differs from the id order.
        name: `${run}-${i % 10 === 0 ? 'ALPHA-' : ''}${i}`,
        topic: `${run}-topic-${i % 5}`,
        owner: TEAMS[i % 3],
        // Running ones are pinned to an instance that does not exist: nothing consumes here.
        status: i % 4 === 0 ? 'running' : 'stopped',
      });
    }
    const marks = (n: number, row: string) => Array.from({ length: n }, () => row).join(', ');
    await db.query(
      `INSERT INTO kafka_sources (brokers, topic) VALUES ${marks(COUNT, '(?, ?)')}`,
      subs.flatMap((s) => [t.kafka.bootstrap, s.topic]),
    );
    await db.query(
      `INSERT INTO endpoints (url) VALUES ${marks(COUNT, '(?)')}`,
      subs.map((s) => `${t.sink.url}/s${s.id}`),
    );
    await db.query(
      `INSERT INTO subscriptions (id, name, owner, kafka_source_id, endpoint_id, status, hosts) VALUES ${marks(COUNT, `(?, ?, ?, ?, ?, ?, '["nowhere"]')`)}`,
      subs.flatMap((s) => [s.id, s.name, s.owner, s.id, s.id, s.status]),
    );
  }, 60_000);
  afterAll(() => db?.end());

  const get = (path: string) => t.proxy.request<any>('GET', path);
  const ids = (body: Array<{ id: number }>) => body.map((s) => s.id);

  /** Follows Link rel="next" from `path` to the end; every page's rows, in order. */
  async function walk(proxy: ProxyProcess, path: string): Promise<{ rows: Array<{ id: number; name: string }>; pages: number; totals: string[] }> {
    const rows: Array<{ id: number; name: string }> = [];
    const totals: string[] = [];
    let next: string | null = path;
    let pages = 0;
    while (next) {
      const res: { status: number; body: Array<{ id: number; name: string }>; headers: Headers } = await proxy.request('GET', next);
      expect(res.status).toBe(200);
      rows.push(...res.body);
      totals.push(res.headers.get('x-total-count')!);
      pages++;
      next = /^<([^>]+)>; rel="next"$/.exec(res.headers.get('link') ?? '')?.[1] ?? null;
      expect(pages).toBeLessThan(100);
    }
    return { rows, pages, totals };
  }

  describe('GET /api/subscriptions', () => {
    it('answers every subscription as a bare array in id order when no new parameter is sent, as before', async () => {
      const res = await get('/api/subscriptions');
      expect(res.status).toBe(200);
      expect(Array.isArray(res.body)).toBe(true);
      expect(ids(res.body)).toEqual(subs.map((s) => s.id));
      expect(res.body[0]).toMatchObject({ id: 1, name: subs[0].name, owner: subs[0].owner, kafka: { topic: subs[0].topic }, status: subs[0].status });
      expect(res.headers.get('x-total-count')).toBe(String(COUNT));
      expect(res.headers.get('link')).toBeNull();
    });

    it('searches names and topics case-insensitively, and filters by topic, status and owner', async () => {
      const alpha = await get('/api/subscriptions?q=alpha');
      expect(ids(alpha.body)).toEqual(subs.filter((s) => s.name.includes('ALPHA')).map((s) => s.id));
      const byTopicText = await get(`/api/subscriptions?q=${encodeURIComponent('TOPIC-3')}`);
      expect(ids(byTopicText.body)).toEqual(subs.filter((s) => s.topic.endsWith('-3')).map((s) => s.id));

      const filtered = await get(`/api/subscriptions?topic=${run}-topic-2&status=running&owner=team-a`);
      const expected = subs.filter((s) => s.topic === `${run}-topic-2` && s.status === 'running' && s.owner === 'team-a').map((s) => s.id);
      expect(expected.length).toBeGreaterThan(0);
      expect(ids(filtered.body)).toEqual(expected);
      expect(filtered.headers.get('x-total-count')).toBe(String(expected.length));
    });

    it('pages by name and by id, descending too, with no duplicate and no gap, the total on every page', async () => {
      const byName = await walk(t.proxy, '/api/subscriptions?sort=name&limit=37');
      expect(byName.rows.map((s) => s.name)).toEqual(subs.map((s) => s.name).sort());
      expect(byName.pages).toBe(Math.ceil(COUNT / 37));
      expect(new Set(byName.totals)).toEqual(new Set([String(COUNT)]));

      const teamB = subs.filter((s) => s.owner === 'team-b');
      const byIdDown = await walk(t.proxy, '/api/subscriptions?owner=team-b&sort=-id&limit=20');
      expect(ids(byIdDown.rows)).toEqual(teamB.map((s) => s.id).reverse());
      expect(byIdDown.pages).toBe(Math.ceil(teamB.length / 20));

      const nameDown = await walk(t.proxy, '/api/subscriptions?q=alpha&sort=-name&limit=7');
      expect(nameDown.rows.map((s) => s.name)).toEqual(
        subs
          .filter((s) => s.name.includes('ALPHA'))
          .map((s) => s.name)
          .sort()
          .reverse(),
      );
    });

    it("filters by health from the instances' reports and the dead-letter table", async () => {
      const peer = unique('peer');
      const snapshot = (id: number, lag: number, circuit: 'closed' | 'open' | 'half_open') => ({
        subscriptionId: id,
        state: 'running',
        partitions: [0],
        lag,
        endpoint: {
          circuit: {
            state: circuit,
            openedAt: null,
            openForMs: 0,
            opens: 0,
            probes: 0,
            nextProbeAt: null,
            holdUntil: null,
            enabled: true,
            openMs: 0,
            lastOpenForMs: 0,
          },
          inFlightLimit: 1,
          maxInFlight: 1,
          adaptive: false,
        },
      });
      const running = [snapshot(4, 5000, 'closed'), snapshot(8, 10, 'open'), snapshot(12, 0, 'half_open'), snapshot(16, 150, 'closed')];
      await db.query(
        'INSERT INTO instances (id, host, pid, version, started_at, last_seen_at, running) VALUES (?, ?, 1, ?, CURRENT_TIMESTAMP(3), CURRENT_TIMESTAMP(3), ?)',
        [peer, 'peer-host', 'test', JSON.stringify(running)],
      );
      await db.query(
        `INSERT INTO dead_letters (subscription_id, topic, partition_no, record_offset, record_digest, reason, state) VALUES
         (20, 't', 0, 1, ?, 'rejected', 'pending'), (21, 't', 0, 1, ?, 'rejected', 'pending'), (22, 't', 0, 1, ?, 'rejected', 'discarded')`,
        [Buffer.alloc(32), Buffer.alloc(32), Buffer.alloc(32)],
      );
      try {
        expect(ids((await get('/api/subscriptions?lagOver=100')).body)).toEqual([4, 16]);
        expect(ids((await get('/api/subscriptions?lagOver=200')).body)).toEqual([4]);
        expect(ids((await get('/api/subscriptions?breakerOpen=true')).body)).toEqual([8, 12]);
        expect(ids((await get('/api/subscriptions?breakerOpen=true&lagOver=5')).body)).toEqual([8]);
        const closed = await get('/api/subscriptions?breakerOpen=false');
        expect(closed.headers.get('x-total-count')).toBe(String(COUNT - 2));
        expect(ids((await get('/api/subscriptions?pendingDeadLetters=true')).body)).toEqual([20, 21]);
        expect(ids((await get('/api/subscriptions?pendingDeadLetters=true&owner=team-a')).body)).toEqual([21]);
        // A heartbeat past INSTANCE_TIMEOUT_MS no longer counts.
        await db.query('UPDATE instances SET last_seen_at = CURRENT_TIMESTAMP(3) - INTERVAL 1 HOUR WHERE id = ?', [peer]);
        expect(ids((await get('/api/subscriptions?breakerOpen=true')).body)).toEqual([]);
      } finally {
        await db.query('DELETE FROM instances WHERE id = ?', [peer]);
        await db.query('DELETE FROM dead_letters WHERE subscription_id IN (20, 21, 22)');
      }
    });

    it('refuses bad parameters with 400 naming each field', async () => {
      const res = await get('/api/subscriptions?status=paused&limit=0&sort=topic&colour=red');
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.fields.map((f: { path: string }) => f.path).sort()).toEqual(['colour', 'limit', 'sort', 'status']);
      const cursor = /cursor=([^&>]+)/.exec((await get('/api/subscriptions?sort=name&limit=5')).headers.get('link')!)![1];
      const mixed = await get(`/api/subscriptions?sort=id&limit=5&cursor=${cursor}`);
      expect(mixed.status).toBe(400);
      expect(mixed.body.fields).toEqual([{ path: 'cursor', message: 'was made for sort=name, not sort=id; start again without it' }]);
    });
  });

  describe('dead letters', () => {
    // Subscriptions 1-3 (their endpoints are the sink's /s1../s3); 20 rows each, one a minute.
    const base = Date.parse('2026-05-01T10:00:00.000Z');
    const REASONS = ['rejected', 'retries_exhausted', 'not_json'] as const;
    interface Row {
      id: number;
      subscriptionId: number;
      reason: string;
      createdAt: number;
    }
    const rows: Row[] = [];

    beforeAll(async () => {
      const values: unknown[] = [];
      for (let sub = 1; sub <= 3; sub++) {
        for (let n = 0; n < 20; n++) {
          const createdAt = base + (rows.length % 60) * 60_000;
          rows.push({ id: rows.length + 1, subscriptionId: sub, reason: REASONS[n % 3], createdAt });
          values.push(sub, subs[sub - 1].topic, n, Buffer.alloc(32), Buffer.from(JSON.stringify({ sub, n })), REASONS[n % 3], new Date(createdAt));
        }
      }
      await db.query('DELETE FROM dead_letters');
      await db.query('ALTER TABLE dead_letters AUTO_INCREMENT = 1');
      await db.query(
        `INSERT INTO dead_letters (subscription_id, topic, partition_no, record_offset, record_digest, record_value, reason, state, created_at)
         VALUES ${rows.map(() => "(?, ?, 0, ?, ?, ?, ?, 'pending', ?)").join(', ')}`,
        values,
      );
    });

    const deadIds = (body: Array<{ id: number }>) => body.map((d) => d.id);
    const expectedIds = (keep: (r: Row) => boolean) =>
      rows
        .filter(keep)
        .map((r) => r.id)
        .reverse();

    it('filters by subscription, reason, state and a time range, and pages by id with no duplicate or gap', async () => {
      const from = new Date(base + 10 * 60_000).toISOString();
      const to = new Date(base + 45 * 60_000).toISOString();
      const inRange = (r: Row) => r.createdAt >= base + 10 * 60_000 && r.createdAt < base + 45 * 60_000;
      const res = await get(`/api/dead-letters?reason=rejected&createdFrom=${from}&createdTo=${to}&limit=500`);
      expect(res.status).toBe(200);
      expect(deadIds(res.body)).toEqual(expectedIds((r) => r.reason === 'rejected' && inRange(r)));
      expect(deadIds((await get('/api/dead-letters?subscriptionId=2&reason=not_json&state=pending')).body)).toEqual(
        expectedIds((r) => r.subscriptionId === 2 && r.reason === 'not_json'),
      );

      const seen: number[] = [];
      let path = '/api/dead-letters?reason=retries_exhausted&limit=4';
      for (;;) {
        const page = deadIds((await get(path)).body);
        if (page.length === 0) break;
        seen.push(...page);
        path = `/api/dead-letters?reason=retries_exhausted&limit=4&beforeId=${page[page.length - 1]}`;
      }
      expect(seen).toEqual(expectedIds((r) => r.reason === 'retries_exhausted'));

      const bad = await get('/api/dead-letters?reason=tired&createdFrom=yesterday');
      expect(bad.status).toBe(400);
      expect(bad.body.fields.map((f: { path: string }) => f.path)).toEqual(['reason', 'createdFrom']);
    });

    async function finished(jobId: string) {
      return waitFor(async () => {
        const job = (await t.proxy.api('GET', `/api/dead-letters/redeliver-jobs/${jobId}`)).body;
        return job.state === 'done' ? job : null;
      }, `bulk job ${jobId} to finish`);
    }

    it('discards everything a filter matches through a bulk job, and nothing else', async () => {
      const from = new Date(base + 20 * 60_000).toISOString();
      const filter = { reason: 'rejected', createdFrom: from };
      const matches = (r: Row) => r.reason === 'rejected' && r.createdAt >= base + 20 * 60_000;
      const started = await t.proxy.api('POST', '/api/dead-letters/bulk-jobs', { action: 'discard', filter });
      expect(started.status).toBe(202);
      expect(started.body).toMatchObject({ action: 'discard', subscriptionId: null, selection: filter });
      const job = await finished(started.body.id);
      const expected = rows.filter(matches).length;
      expect(job).toMatchObject({ total: expected, discarded: expected, succeeded: 0, skipped: 0, more: false });
      const discarded = (await get('/api/dead-letters?state=discarded&limit=500')).body;
      expect(deadIds(discarded)).toEqual(expectedIds(matches));
      expect(deadIds((await get('/api/dead-letters?state=pending&limit=500')).body)).toEqual(expectedIds((r) => !matches(r)));

      const audit = await waitFor(async () => {
        const entries = (await t.proxy.api('GET', '/api/audit?resourceType=dead_letter')).body as Array<{ action: string; after: unknown }>;
        return entries.find((e) => e.action === 'dead_letter.bulk_discard');
      }, 'the bulk discard in the audit log');
      expect(audit.after).toMatchObject({ discarded: expected, selection: filter, jobId: job.id });
    });

    it('re-delivers a selection of ids across subscriptions, and a filter, through bulk jobs', async () => {
      const pending = rows.filter((r) => !(r.reason === 'rejected' && r.createdAt >= base + 20 * 60_000));
      const chosen = [pending[0], pending[25], pending[40]].map((r) => r.id);
      const before = t.sink.requests.length;
      const started = await t.proxy.api('POST', '/api/dead-letters/bulk-jobs', { action: 'redeliver', ids: chosen });
      expect(started.status).toBe(202);
      const job = await finished(started.body.id);
      expect(job).toMatchObject({ total: 3, succeeded: 3, failed: 0, selection: { ids: 3 } });
      const sent = t.sink.requests.slice(before);
      expect(sent.map((r) => JSON.parse(r.body)).sort((a, b) => a.sub - b.sub || a.n - b.n)).toEqual(
        rows
          .filter((r) => chosen.includes(r.id))
          .map((r) => ({ sub: r.subscriptionId, n: (r.id - 1) % 20 }))
          .sort((a, b) => a.sub - b.sub || a.n - b.n),
      );
      for (const id of chosen) expect((await t.proxy.api('GET', `/api/dead-letters/${id}`)).body.state).toBe('redelivered');

      const byFilter = await t.proxy.api('POST', '/api/dead-letters/bulk-jobs', {
        action: 'redeliver',
        filter: { subscriptionId: 3, reason: 'not_json' },
        limit: 2,
      });
      expect(byFilter.status).toBe(202);
      const limited = await finished(byFilter.body.id);
      const left = rows.filter((r) => r.subscriptionId === 3 && r.reason === 'not_json' && !chosen.includes(r.id));
      expect(limited).toMatchObject({ subscriptionId: 3, succeeded: 2, total: 2, more: left.length > 2 });
      const stillPending = (await get('/api/dead-letters?subscriptionId=3&reason=not_json&state=pending')).body;
      expect(stillPending).toHaveLength(left.length - 2);
    });

    it("re-delivers a key's rows up to the last one a filter selects, older ones first, and none after it, under keyParking", async () => {
      const created = await t.proxy.api('POST', '/api/subscriptions', {
        name: unique('parked'),
        kafka: { brokers: t.kafka.bootstrap, topic: unique('parked') },
        endpoint: { url: `${t.sink.url}/parked` },
        delivery: { ordering: 'key', keyParking: true },
        status: 'stopped',
      });
      expect(created.status).toBe(201);
      const sub = created.body as { id: number; kafka: { topic: string } };
      // One key, offsets 1-4: the first two before the cut-off, the last two after it.
      const cut = base + 100 * 60_000;
      const at = [cut - 120_000, cut - 60_000, cut + 60_000, cut + 120_000];
      await db.query(
        `INSERT INTO dead_letters (subscription_id, topic, partition_no, record_offset, record_digest, record_key, record_value, reason, state, created_at)
         VALUES ${at.map(() => "(?, ?, 0, ?, ?, 'K', ?, 'rejected', 'pending', ?)").join(', ')}`,
        at.flatMap((createdAt, i) => [sub.id, sub.kafka.topic, i + 1, Buffer.alloc(32), Buffer.from(JSON.stringify({ offset: i + 1 })), new Date(createdAt)]),
      );
      const started = await t.proxy.api('POST', '/api/dead-letters/bulk-jobs', {
        action: 'redeliver',
        filter: { subscriptionId: sub.id, createdTo: new Date(cut).toISOString() },
      });
      expect(started.status).toBe(202);
      const job = await finished(started.body.id);
      expect(job).toMatchObject({ total: 2, succeeded: 2, failed: 0 });
      const sent = t.sink.requests.filter((r) => r.path === '/parked').map((r) => JSON.parse(r.body) as { offset: number });
      expect(sent).toEqual([{ offset: 1 }, { offset: 2 }]);
      const states = (await get(`/api/dead-letters?subscriptionId=${sub.id}&limit=10`)).body as Array<{ offset: number; state: string }>;
      expect(states.map((d) => [Number(d.offset), d.state]).sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual([
        [1, 'redelivered'],
        [2, 'redelivered'],
        [3, 'pending'],
        [4, 'pending'],
      ]);
    });

    it('refuses a bulk job without a selection, with both, or over the limit', async () => {
      const neither = await t.proxy.api('POST', '/api/dead-letters/bulk-jobs', { action: 'discard' });
      expect(neither.status).toBe(400);
      expect(neither.body.fields.map((f: { path: string }) => f.path)).toEqual(['ids']);
      const empty = await t.proxy.api('POST', '/api/dead-letters/bulk-jobs', { action: 'discard', filter: { state: 'pending' } });
      expect(empty.status).toBe(400);
      expect(empty.body.fields.map((f: { path: string }) => f.path)).toEqual(['filter']);
      const over = await t.proxy.api('POST', '/api/dead-letters/bulk-jobs', { action: 'discard', filter: { subscriptionId: 1 }, limit: 10_000_000 });
      expect(over.status).toBe(400);
      expect(over.body.fields.map((f: { path: string }) => f.path)).toEqual(['limit']);
    });
  });
});
