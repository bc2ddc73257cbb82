import { createConnection } from 'mysql2/promise';
import { subscriptionBody, unique } from './support/fixtures';
import { TEST_DATABASE_URL } from './support/test-env';
import { useTestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

/**
 * No admin write undoes another (issue 14, item 11): concurrent calls against the real proxy and
 * database. Subscriptions are pinned to an instance that does not exist, so the calls race on the
 * rows alone and no consumer start or stop slows an iteration down.
 */
describe('concurrent admin writes', () => {
  const RESET_WAIT_MS = 5000;
  const t = useTestWorld({ proxy: { env: { RESET_WAIT_TIMEOUT_MS: String(RESET_WAIT_MS) } } });
  const ROUNDS = 30;

  const api = (method: string, path: string, body?: unknown) => t.proxy.api(method, path, body);

  async function create(extra: Record<string, unknown> = {}, topic = unique('t')): Promise<number> {
    const body = { ...subscriptionBody({ name: unique('race'), brokers: t.kafka.bootstrap, topic, url: `${t.sink.url}/race` }), hosts: ['nowhere'], ...extra };
    const res = await api('POST', '/api/subscriptions', body);
    expect(res.status).toBe(201);
    return res.body.id;
  }

  const read = async (id: number) => (await api('GET', `/api/subscriptions/${id}`)).body;

  async function auditOf(id: number, action: string): Promise<Array<{ before: any; after: any }>> {
    const res = await api('GET', `/api/audit?resourceType=subscription&resourceId=${id}&limit=100`);
    return (res.body as Array<{ action: string; before: any; after: any }>).filter((e) => e.action === action);
  }

  it('a PATCH racing a stop or a start never undoes it', async () => {
    const id = await create({ status: 'running' });
    for (let i = 1; i <= ROUNDS; i++) {
      const status = i % 2 ? 'stopped' : 'running';
      const verb = status === 'stopped' ? 'stop' : 'start';
      const [patched, switched] = await Promise.all([
        api('PATCH', `/api/subscriptions/${id}`, { delivery: { ratePerSec: i } }),
        api('POST', `/api/subscriptions/${id}/${verb}`),
      ]);
      expect([patched.status, switched.status]).toEqual([200, 200]);
      const now = await read(id);
      expect({ round: i, status: now.status, ratePerSec: now.delivery.ratePerSec }).toEqual({ round: i, status, ratePerSec: i });
    }
  });

  it('two PATCHes to different fields both survive, and each audit entry shows only its own change', async () => {
    const id = await create({ status: 'stopped' });
    for (let i = 1; i <= ROUNDS; i++) {
      const [a, b] = await Promise.all([
        api('PATCH', `/api/subscriptions/${id}`, { delivery: { ratePerSec: i } }),
        api('PATCH', `/api/subscriptions/${id}`, { endpoint: { timeoutMs: 1000 + i } }),
      ]);
      expect([a.status, b.status]).toEqual([200, 200]);
      const now = await read(id);
      expect({ round: i, ratePerSec: now.delivery.ratePerSec, timeoutMs: now.endpoint.timeoutMs }).toEqual({ round: i, ratePerSec: i, timeoutMs: 1000 + i });
    }
    const updates = await auditOf(id, 'subscription.update');
    expect(updates).toHaveLength(2 * ROUNDS);
    for (const { before, after } of updates) {
      const rate = before.delivery.ratePerSec !== after.delivery.ratePerSec;
      const timeout = before.endpoint.timeoutMs !== after.endpoint.timeoutMs;
      expect({ rate, timeout, versionStep: after.version - before.version }).toEqual(
        rate ? { rate, timeout: false, versionStep: 1 } : { rate: false, timeout: true, versionStep: 1 },
      );
    }
  });

  it('a PATCH writes its config rows in place: adds, changes and removes the ETL, and bumps the version once', async () => {
    const id = await create({ status: 'stopped', endpoint: { url: `${t.sink.url}/race`, headers: { Authorization: 'Bearer s3cret' } } });
    const db = await createConnection(TEST_DATABASE_URL);
    try {
      // A secret the PATCH does not change keeps its stored ciphertext: its column is not rewritten.
      const storedHeaders = async () =>
        ((await db.query('SELECT e.headers AS h FROM endpoints e JOIN subscriptions s ON s.endpoint_id = e.id WHERE s.id = ?', [id]))[0] as any)[0].h;
      const sealedBefore = await storedHeaders();
      expect(JSON.stringify(sealedBefore)).toContain('enc:v1:');
      const etlRows = async () =>
        ((await db.query('SELECT COUNT(*) AS n FROM etl_configs e JOIN subscriptions s ON s.etl_config_id = e.id WHERE s.id = ?', [id]))[0] as any)[0].n;
      const v0 = (await read(id)).version;
      const etl = { filter: [{ path: '$.type', op: 'eq', value: 'order' }], fields: { id: '$.id' } };
      const added = await api('PATCH', `/api/subscriptions/${id}`, { etl });
      expect({ status: added.status, etl: added.body.etl, version: added.body.version }).toEqual({ status: 200, etl, version: v0 + 1 });
      expect(Number(await etlRows())).toBe(1);
      const changed = await api('PATCH', `/api/subscriptions/${id}`, { etl: { ...etl, fields: { orderId: '$.id' } }, endpoint: { timeoutMs: 1234 } });
      expect({ fields: changed.body.etl.fields, timeoutMs: changed.body.endpoint.timeoutMs, version: changed.body.version }).toEqual({
        fields: { orderId: '$.id' },
        timeoutMs: 1234,
        version: v0 + 2,
      });
      const removed = await api('PATCH', `/api/subscriptions/${id}`, { etl: null });
      expect({ etl: removed.body.etl, version: removed.body.version }).toEqual({ etl: null, version: v0 + 3 });
      const [[orphans]] = (await db.query(
        'SELECT COUNT(*) AS n FROM etl_configs WHERE id NOT IN (SELECT etl_config_id FROM subscriptions WHERE etl_config_id IS NOT NULL)',
      )) as any;
      expect(Number(orphans.n)).toBe(0);
      expect(await read(id)).toMatchObject({ etl: null, endpoint: { timeoutMs: 1234 }, status: 'stopped', version: v0 + 3 });
      expect(await storedHeaders()).toEqual(sealedBefore);
    } finally {
      await db.end();
    }
  });

  describe('an offset reset', () => {
    let db: Awaited<ReturnType<typeof createConnection>>;
    beforeAll(async () => {
      db = await createConnection(TEST_DATABASE_URL);
    });
    afterAll(() => db?.end());

    /** A peer instance (a row, as a real one writes it) that runs the subscription until released: it holds the reset in its wait. */
    async function holdWithPeer(id: number): Promise<() => Promise<void>> {
      const peer = unique('peer');
      const running = JSON.stringify([{ subscriptionId: id, state: 'running', partitions: [0] }]);
      await db.query(
        'INSERT INTO instances (id, host, pid, version, started_at, last_seen_at, running) VALUES (?, ?, 1, ?, CURRENT_TIMESTAMP(3), CURRENT_TIMESTAMP(3), ?)',
        [peer, 'peer-host', 'test', running],
      );
      return async () => {
        await db.query("UPDATE instances SET running = '[]', last_seen_at = CURRENT_TIMESTAMP(3) WHERE id = ?", [peer]);
      };
    }

    async function runningSubscription(): Promise<number> {
      const topic = unique('reset');
      await t.kafka.createTopic(topic, 1);
      return create({ status: 'running' }, topic);
    }

    const reset = (id: number) => api('POST', `/api/subscriptions/${id}/offsets/reset`, { to: 'earliest', restart: true });
    const stoppedByReset = (id: number) => waitFor(async () => (await read(id)).status === 'stopped', 'the reset to stop the subscription');

    it('does not restart a subscription that was stopped while it ran', async () => {
      const id = await runningSubscription();
      const release = await holdWithPeer(id);
      const resetting = reset(id);
      await stoppedByReset(id);
      expect((await api('POST', `/api/subscriptions/${id}/stop`)).status).toBe(200);
      await release();
      const res = await resetting;
      expect(res.status).toBe(200);
      expect(res.body.partitions).toEqual([{ partition: 0, offset: 0 }]);
      expect(res.body.warning).toMatch(/not restarted: its status was set during the reset/);
      expect((await read(id)).status).toBe('stopped');
    });

    it('still restarts after a PATCH that did not touch the status, keeping the PATCH', async () => {
      const id = await runningSubscription();
      const release = await holdWithPeer(id);
      const resetting = reset(id);
      await stoppedByReset(id);
      expect((await api('PATCH', `/api/subscriptions/${id}`, { delivery: { ratePerSec: 7 } })).status).toBe(200);
      await release();
      const res = await resetting;
      expect(res.status).toBe(200);
      expect(res.body.warning).toBeUndefined();
      const now = await read(id);
      expect({ status: now.status, ratePerSec: now.delivery.ratePerSec }).toEqual({ status: 'running', ratePerSec: 7 });
    });

    it('that fails does not restore a subscription that was stopped while it waited', async () => {
      const id = await runningSubscription();
      await holdWithPeer(id); // never released: the reset gives up after RESET_WAIT_TIMEOUT_MS
      const resetting = reset(id);
      await stoppedByReset(id);
      expect((await api('POST', `/api/subscriptions/${id}/stop`)).status).toBe(200);
      const res = await resetting;
      expect(res.status).toBe(409);
      expect((await read(id)).status).toBe('stopped');
    }, 30_000);
  });

  it('a ticket approval racing a PATCH audits the subscription as it was created', async () => {
    for (let i = 1; i <= 10; i++) {
      const name = unique('ticketed');
      const body = {
        ...subscriptionBody({ name, brokers: t.kafka.bootstrap, topic: unique('t'), url: `${t.sink.url}/race`, status: 'stopped' }),
        hosts: ['nowhere'],
      };
      const ticket = await api('POST', '/api/tickets', { ...body, requester: 'dana', reason: 'race' });
      expect(ticket.status).toBe(201);
      const patchOnceVisible = async () => {
        const sub = await waitFor(
          async () => ((await api('GET', '/api/subscriptions')).body as Array<{ id: number; name: string }>).find((s) => s.name === name),
          'the approved subscription',
          { intervalMs: 1 },
        );
        return api('PATCH', `/api/subscriptions/${sub.id}`, { endpoint: { timeoutMs: 4321 } });
      };
      const [approved, patched] = await Promise.all([api('POST', `/api/tickets/${ticket.body.id}/approve`), patchOnceVisible()]);
      expect([approved.status, patched.status]).toEqual([200, 200]);
      const [created] = await auditOf(approved.body.subscriptionId, 'subscription.create');
      expect({ round: i, timeoutMs: created.after.endpoint.timeoutMs }).toEqual({ round: i, timeoutMs: 2000 });
    }
  });

  it('exposes the version as an ETag and honours If-Match (RFC 9110 section 13.1.1)', async () => {
    const id = await create({ status: 'stopped' });
    const got = await t.proxy.request('GET', `/api/subscriptions/${id}`);
    const etag = got.headers.get('etag');
    expect(etag).toBe(`"${got.body.version}"`);

    const stale = await t.proxy.request('PATCH', `/api/subscriptions/${id}`, { body: { delivery: { ratePerSec: 3 } }, headers: { 'if-match': '"999"' } });
    expect(stale.status).toBe(412);
    expect(stale.body).toEqual({
      statusCode: 412,
      error: 'Precondition Failed',
      message: `subscription ${id} is at version ${got.body.version}, not 999; read it again and reapply your change`,
      code: 'VERSION_MISMATCH',
    });
    expect((await read(id)).delivery.ratePerSec).toBe(0);

    const weak = await t.proxy.request('PATCH', `/api/subscriptions/${id}`, { body: { delivery: { ratePerSec: 3 } }, headers: { 'if-match': `W/${etag}` } });
    expect(weak.status).toBe(412);

    const ok = await t.proxy.request('PATCH', `/api/subscriptions/${id}`, { body: { delivery: { ratePerSec: 3 } }, headers: { 'if-match': `"1", ${etag}` } });
    expect(ok.status).toBe(200);
    expect(ok.body.version).toBe(got.body.version + 1);
    expect(ok.headers.get('etag')).toBe(`"${ok.body.version}"`);

    const unchanged = await t.proxy.request('PATCH', `/api/subscriptions/${id}`, { body: {}, headers: { 'if-match': ok.headers.get('etag')! } });
    expect({ status: unchanged.status, version: unchanged.body.version }).toEqual({ status: 200, version: ok.body.version + 1 });

    const startStale = await t.proxy.request('POST', `/api/subscriptions/${id}/start`, { headers: { 'if-match': etag! } });
    expect(startStale.status).toBe(412);
    expect((await read(id)).status).toBe('stopped');
    const deleteStale = await t.proxy.request('DELETE', `/api/subscriptions/${id}`, { headers: { 'if-match': etag! } });
    expect(deleteStale.status).toBe(412);
    const deleted = await t.proxy.request('DELETE', `/api/subscriptions/${id}`, { headers: { 'if-match': '*' } });
    expect(deleted.status).toBe(200);
    expect((await t.proxy.request('PATCH', `/api/subscriptions/${id}`, { body: {}, headers: { 'if-match': '*' } })).status).toBe(404);
  });
});
