import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { subscriptionBody, unique } from '../support/fixtures';
import { ProxyProcess } from '../support/proxy-process';
import { TcpCutter } from '../support/tcp-cutter';
import { TEST_DATABASE_URL } from '../support/test-env';
import { useTestWorld } from '../support/test-world';
import { waitFor } from '../support/wait-for';

const OPERATOR = 'edge-operator-token-0123456789';
const REQUESTER = 'edge-requester-token-0123456789';
/** A GET with a Host header of our choosing (fetch will not send one). */
function rawGet(port: number, path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const LIMIT_REACHED = 'admin API: failed authentication limit reached; refusing this address until its window ends';

/**
 * The edge of the admin API against the built proxy (issue 17): who a caller is behind a
 * trusted reverse proxy, a lock-out that never refuses a valid token, browser-facing headers,
 * cross-origin writes, an open API kept on loopback, what /health/ready tells strangers, and
 * alert webhooks held to the outbound guard.
 */
describe('admin API edge', () => {
  const t = useTestWorld({
    responder: (q) => (q.path.startsWith('/refuse') ? { status: 422, body: { error: 'unknown account' } } : { status: 200 }),
    proxy: false,
  });

  describe('behind a trusted reverse proxy (the tests connect from 127.0.0.1, listed in TRUSTED_PROXIES)', () => {
    let proxy: ProxyProcess;
    beforeAll(async () => {
      proxy = await t.world.startProxy({
        adminToken: OPERATOR,
        env: { TRUSTED_PROXIES: '127.0.0.1, ::1', AUTH_FAILURE_LIMIT: '20', AUTH_FAILURE_WINDOW_MS: '60000' },
      });
    });
    // Stopped here: a running instance would join the later tests' consumer groups and take their partitions.
    afterAll(() => proxy?.stop());
    const from = (client: string, token?: string, extra: { method?: string; path?: string; body?: unknown; headers?: Record<string, string> } = {}) =>
      proxy.request(extra.method ?? 'GET', extra.path ?? '/api/subscriptions', {
        token: token ?? '',
        body: extra.body,
        headers: { 'X-Forwarded-For': client, ...extra.headers },
      });

    it('does not lock every operator out when 20 bad tokens arrive through the proxy from different clients', async () => {
      for (let i = 0; i < 20; i++) expect((await from(`198.51.100.${i}`, `wrong-${i}`)).status).toBe(401);
      expect(proxy.logs.filter((l) => l.msg === LIMIT_REACHED)).toHaveLength(0);
      expect((await from('198.51.100.200', OPERATOR)).status).toBe(200);
      // Nobody is blocked: one more bad token from yet another client is a plain 401.
      expect((await from('198.51.100.201', 'wrong')).status).toBe(401);
    });

    it('blocks only the forwarded client that failed 20 times, and never its valid token', async () => {
      for (let i = 0; i < 20; i++) expect((await from('203.0.113.7', `guess-${i}`)).status).toBe(401);
      const refused = await from('203.0.113.7', 'guess-21');
      expect(refused.status).toBe(429);
      expect(refused.body.message).toMatch(/too many failed authentications from 203\.0\.113\.7; try again in \d+ s/);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await from('203.0.113.7')).status).toBe(429);
      // A client's own X-Forwarded-For entries left of the proxy's are ignored: it cannot dodge its block.
      expect((await from('192.0.2.1, 203.0.113.7', 'guess-22')).status).toBe(429);
      // Others through the same proxy are unaffected, and the blocked client's operator gets in.
      expect((await from('203.0.113.8', 'wrong')).status).toBe(401);
      expect((await from('203.0.113.7', OPERATOR)).status).toBe(200);
      const blocks = proxy.logs.filter((l) => l.msg === LIMIT_REACHED);
      expect(blocks).toEqual([expect.objectContaining({ remote: '203.0.113.7', via: '127.0.0.1' })]);
    });

    it("records the forwarded client as the audit entry's remote", async () => {
      const name = unique('edge-audited');
      const created = await from('198.51.100.77', OPERATOR, {
        method: 'POST',
        path: '/api/subscriptions',
        body: subscriptionBody({ name, brokers: t.kafka.bootstrap, topic: unique('edge-audit'), url: `${t.sink.url}/audited`, status: 'stopped' }),
      });
      expect(created.status).toBe(201);
      const audit = await proxy.api('GET', `/api/audit?resourceType=subscription&resourceId=${created.body.id}`);
      expect(audit.status).toBe(200);
      expect(audit.body).toEqual([expect.objectContaining({ action: 'subscription.create', role: 'operator', remote: '198.51.100.77' })]);
    });
  });

  it('never refuses a valid operator or requester token from a blocked address; a wrong or missing one gets 429', async () => {
    const proxy = await t.world.startProxy({
      adminToken: OPERATOR,
      env: { REQUESTER_TOKEN: REQUESTER, AUTH_FAILURE_LIMIT: '3', AUTH_FAILURE_WINDOW_MS: '60000' },
    });
    for (let i = 0; i < 3; i++) expect((await proxy.api('GET', '/api/subscriptions', undefined, `wrong-${i}`)).status).toBe(401);
    expect((await proxy.api('GET', '/api/subscriptions', undefined, 'wrong-again')).status).toBe(429);
    expect((await proxy.api('GET', '/api/subscriptions', undefined, '')).status).toBe(429);
    expect((await proxy.api('GET', '/api/subscriptions', undefined, OPERATOR)).status).toBe(200);
    expect((await proxy.api('GET', '/api/tickets', undefined, REQUESTER)).status).toBe(200);
    // The requester keeps its limits: valid, but not allowed there.
    expect((await proxy.api('GET', '/api/dead-letters', undefined, REQUESTER)).status).toBe(403);
    // X-Forwarded-For from a peer nobody trusts changes nothing.
    expect((await proxy.request('GET', '/api/subscriptions', { token: 'wrong', headers: { 'X-Forwarded-For': '198.51.100.9' } })).status).toBe(429);
    await proxy.stop();
  });

  it("sends a strict CSP without unsafe-inline that allows the console's import map by hash, forbids framing, and no-store on /api", async () => {
    const proxy = await t.world.startProxy({ adminToken: OPERATOR });
    const page = await proxy.request('GET', '/', { token: '' });
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    const importMap = /<script type="importmap">([\s\S]*?)<\/script>/.exec(String(page.body))![1];
    expect(csp).toContain(`script-src 'self' 'sha256-${createHash('sha256').update(importMap).digest('base64')}'`);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const docs = await proxy.request('GET', '/docs', { token: '' });
    const style = /<style>([\s\S]*?)<\/style>/.exec(String(docs.body))![1];
    expect(docs.headers.get('content-security-policy')).toContain(`'sha256-${createHash('sha256').update(style).digest('base64')}'`);
    for (const [path, token] of [
      ['/api/subscriptions', OPERATOR],
      ['/api/subscriptions', 'wrong'],
      ['/API/instances', OPERATOR],
    ] as const) {
      const answer = await proxy.request('GET', path, { token });
      expect([path, answer.headers.get('cache-control'), answer.headers.get('content-security-policy')]).toEqual([path, 'no-store', csp]);
    }
    expect((await proxy.request('GET', '/console/app.js', { token: '' })).headers.get('x-content-type-options')).toBe('nosniff');
    await proxy.stop();
  });

  it('refuses cross-origin browser writes with 403, with or without a token, and lets same-origin ones through', async () => {
    const guarded = await t.world.startProxy({ adminToken: OPERATOR });
    const open = await t.world.startProxy();
    for (const proxy of [guarded, open]) {
      const host = new URL(proxy.baseUrl).host;
      const name = unique('edge-csrf');
      const body = subscriptionBody({ name, brokers: t.kafka.bootstrap, topic: unique('edge-csrf'), url: `${t.sink.url}/csrf`, status: 'stopped' });
      const evil = await proxy.request('POST', '/api/subscriptions', { body, headers: { Origin: 'http://evil.example' } });
      expect({ status: evil.status, message: evil.body.message }).toEqual({
        status: 403,
        message: expect.stringMatching(/^cross-origin POST refused: Origin http:\/\/evil\.example is not this server/),
      });
      const otherPort = await proxy.request('DELETE', '/api/subscriptions/1', { headers: { Origin: 'http://127.0.0.1:1' } });
      expect(otherPort.status).toBe(403);
      const fetchMeta = await proxy.request('POST', '/api/config/refresh', { headers: { Origin: `http://${host}`, 'Sec-Fetch-Site': 'cross-site' } });
      expect({ status: fetchMeta.status, message: fetchMeta.body.message }).toEqual({
        status: 403,
        message: expect.stringMatching(/Sec-Fetch-Site: cross-site/),
      });
      expect((await proxy.api('GET', '/api/subscriptions')).body.map((s: { name: string }) => s.name)).not.toContain(name);
      // Reads across origins are not writes; same-origin writes and clients without Origin pass.
      expect((await proxy.request('GET', '/api/subscriptions', { headers: { Origin: 'http://evil.example' } })).status).toBe(200);
      expect((await proxy.request('POST', '/api/subscriptions', { body, headers: { Origin: `http://${host}`, 'Sec-Fetch-Site': 'same-origin' } })).status).toBe(
        201,
      );
      expect((await proxy.request('POST', '/api/config/refresh', {})).status).toBeLessThan(300);
    }
    await guarded.stop();
    await open.stop();
  });

  it('listens on loopback without a token, and will not start on another address without ALLOW_OPEN_ADMIN', async () => {
    const loopback = await t.world.startProxy({ env: { HOST: '' } });
    expect(loopback.logs.find((l) => l.msg === 'kproxy ready')).toMatchObject({ host: '127.0.0.1', adminAuth: 'off' });
    expect(loopback.logs.some((l) => l.level === 'warn' && /the admin API is open/.test(String(l.msg)))).toBe(true);
    // A DNS-rebinding page reaches 127.0.0.1 under its own name: the open API answers only loopback names.
    const port = Number(new URL(loopback.baseUrl).port);
    const rebound = await rawGet(port, '/api/subscriptions', `rebind.evil.example:${port}`);
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body).message).toMatch(/answers only requests addressed to this machine's loopback/);
    expect((await rawGet(port, '/api/subscriptions', `localhost:${port}`)).status).toBe(200);
    await loopback.stop();
    const exposed = new ProxyProcess({ waitReady: false, env: { HOST: '0.0.0.0' } });
    await exposed.launch();
    expect(await exposed.waitExit()).toBe(1);
    expect(exposed.stderr.join('\n')).toMatch(/HOST: "0\.0\.0\.0" is not a loopback address and ADMIN_TOKEN is unset.*ALLOW_OPEN_ADMIN=true/);
  });

  it('says only that the database is down on /health/ready, and logs why', async () => {
    const db = new URL(TEST_DATABASE_URL);
    const cutter = await TcpCutter.start(db.hostname, Number(db.port || 3306));
    try {
      db.port = String(cutter.port);
      const proxy = await t.world.startProxy({ adminToken: OPERATOR, env: { DATABASE_URL: db.toString() } });
      await cutter.cut();
      const ready = await waitFor(async () => {
        const res = await proxy.request('GET', '/health/ready', { token: '' });
        return res.status === 503 && res;
      }, '/health/ready to report the database down');
      expect(ready.body).toEqual({ status: 'unavailable', checks: { database: 'down', supervisor: 'started' } });
      const logged = await waitFor(() => proxy.logs.find((l) => l.msg === 'readiness: the database does not answer'), 'the readiness failure in the log');
      expect(String(logged.message).length).toBeGreaterThan(0);
      await cutter.restore();
      await waitFor(async () => (await proxy.request('GET', '/health/ready', { token: '' })).status === 200, 'readiness after the database is back');
      await proxy.stop();
    } finally {
      await cutter.stop();
    }
  });

  it('refuses alert webhooks on metadata addresses: at the API, and for ALERT_WEBHOOK_URL when an alert fires', async () => {
    const proxy = await t.world.startProxy({
      env: { ALERT_EVALUATE_INTERVAL_MS: '200', ALERT_WEBHOOK_URL: 'http://168.63.129.16/hooks/T000/secret-hook-token' },
    });
    const topic = unique('edge-alert');
    await t.kafka.createTopic(topic, 1);
    const base = subscriptionBody({
      name: unique('edge-alerted'),
      brokers: t.kafka.bootstrap,
      topic,
      url: `${t.sink.url}/refuse`,
      delivery: { maxRetries: 0 },
    });
    const viaNat64 = await proxy.api('POST', '/api/subscriptions', { ...base, alerts: { webhookUrl: 'http://[64:ff9b::a9fe:a9fe]/hook' } });
    expect({ status: viaNat64.status, message: viaNat64.body.message }).toEqual({
      status: 400,
      message: [expect.stringMatching(/^alerts\.webhookUrl: 64:ff9b::a9fe:a9fe \(169\.254\.169\.254\) is a link-local or cloud metadata address/)],
    });
    // Without its own webhook, the subscription's dead-letter alert goes to ALERT_WEBHOOK_URL, which the guard refuses.
    expect((await proxy.api('POST', '/api/subscriptions', { ...base, alerts: { windowSeconds: 1 } })).status).toBe(201);
    await t.client.produceJson(topic, [{ n: 1 }]);
    const refused = await waitFor(() => proxy.logs.find((l) => l.msg === 'alert webhook refused by the outbound guard; alert dropped'), 'the refused alert', {
      timeoutMs: 30_000,
    });
    expect(refused).toMatchObject({
      kind: 'dead_letters',
      webhook: 'http://168.63.129.16',
      err: expect.stringMatching(/168\.63\.129\.16 is a link-local or cloud metadata address/),
    });
    expect(proxy.logs.some((l) => l.msg === 'alert webhook failed; alert dropped')).toBe(false);
    expect(JSON.stringify(proxy.logs)).not.toContain('secret-hook-token');
    await proxy.stop();
  });
});
