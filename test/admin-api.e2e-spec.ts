import Ajv2020 from 'ajv/dist/2020';
import { createConnection } from 'mysql2/promise';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { subscriptionBody, unique } from './support/fixtures';
import { SecretBox } from '../src/secrets/secret-box';
import { ROOT, TEST_DATABASE_URL, TEST_SECRETS_KEY } from './support/test-env';
import { useTestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

const TOKEN = 'test-admin-token-0123456789';

describe('admin API', () => {
  const t = useTestWorld({ proxy: { adminToken: TOKEN } });

  /**
   * A check of real answers against the document this proxy serves: for "METHOD /path" and an
   * answer, the problems ajv finds with it under the schema of that status (or `default`).
   */
  async function answerSchemas(): Promise<(route: string, res: { status: number; body: unknown }) => string[]> {
    const doc = (await t.proxy.api('GET', '/docs/openapi.json')).body;
    const base = 'https://kproxy.invalid/openapi.json';
    // OpenAPI 3.1 schemas are JSON Schema 2020-12; strict off, since the document's root is not a schema.
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    ajv.addFormat('date-time', {
      type: 'string',
      validate: (v: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(v) && !Number.isNaN(Date.parse(v)),
    });
    ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
    ajv.addSchema({ $id: base, components: doc.components });
    return (route, res) => {
      const [method, path] = route.split(' ');
      const responses = doc.paths[path][method.toLowerCase()].responses;
      const schema = (responses[String(res.status)] ?? responses.default).content['application/json'].schema;
      const validate = ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', `"${base}#/components/`)));
      return validate(res.body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
    };
  }

  const valid = () => subscriptionBody({ name: unique('valid'), brokers: t.kafka.bootstrap, topic: unique('t'), url: `${t.sink.url}/x`, status: 'stopped' });

  it('refuses endpoints and webhooks at link-local or cloud metadata addresses, on create, patch and ticket', async () => {
    const metadata = 'http://169.254.169.254/latest/meta-data/iam';
    const created = await t.proxy.api('POST', '/api/subscriptions', {
      ...valid(),
      endpoint: { url: metadata },
      alerts: { webhookUrl: 'http://[fe80::1]/hook' },
    });
    expect(created.status).toBe(400);
    expect(created.body.message).toEqual([
      expect.stringMatching(/^endpoint\.url: 169\.254\.169\.254 is a link-local or cloud metadata address; kproxy does not send there/),
      expect.stringMatching(/^alerts\.webhookUrl: fe80::1 is a link-local or cloud metadata address/),
    ]);
    const ok = await t.proxy.api('POST', '/api/subscriptions', valid());
    const patched = await t.proxy.api('PATCH', `/api/subscriptions/${ok.body.id}`, { endpoint: { url: metadata } });
    expect(patched.status).toBe(400);
    expect((await t.proxy.api('GET', `/api/subscriptions/${ok.body.id}`)).body.endpoint.url).toBe(`${t.sink.url}/x`);
    const ticket = await t.proxy.api('POST', '/api/tickets', { ...valid(), endpoint: { url: metadata }, requester: 'eve', reason: 'exfiltrate' });
    expect(ticket.status).toBe(400);
    expect((await t.proxy.api('GET', '/api/tickets')).body).toEqual([]);
  });

  describe('authentication', () => {
    it('refuses /api without the bearer token, and with a wrong one', async () => {
      const none = await t.proxy.api('GET', '/api/subscriptions', undefined, '');
      expect(none.status).toBe(401);
      expect(none.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: expect.stringContaining('Authorization'), code: 'UNAUTHENTICATED' });
      const wrong = await t.proxy.api('GET', '/api/subscriptions', undefined, 'not-the-token');
      expect(wrong.status).toBe(401);
      expect((await t.proxy.api('GET', '/api/subscriptions')).status).toBe(200);
    });

    it('leaves health and metrics open for probes', async () => {
      expect((await t.proxy.api('GET', '/health/live', undefined, '')).status).toBe(200);
      expect((await t.proxy.api('GET', '/health/ready', undefined, '')).status).toBe(200);
      expect((await t.proxy.api('GET', '/metrics', undefined, '')).status).toBe(200);
    });
  });

  describe('validation', () => {
    const count = async () => ((await t.proxy.api('GET', '/api/subscriptions')).body as unknown[]).length;

    it('names every bad field and stores nothing', async () => {
      const before = await count();
      const res = await t.proxy.api('POST', '/api/subscriptions', {
        name: 'bad one',
        kafka: { topic: 'ok' },
        etl: { filter: [{ path: '$.a', op: 'like', value: 1 }], fields: { x: 'not-a-path' } },
        endpoint: { url: 'ftp://127.0.0.1/x', timeoutMs: -5 },
        delivery: { ratePerSec: -1, ordering: 'sideways', maxRetries: -1 },
      });
      expect(res.status).toBe(400);
      expect(res.body.statusCode).toBe(400);
      expect(res.body.error).toBe('Bad Request');
      const text = (res.body.message as string[]).join('\n');
      for (const field of [
        'name:',
        'kafka.brokers: is required',
        'etl.filter.0.op:',
        'etl.fields.x:',
        'endpoint.url: scheme "ftp" is not allowed',
        'endpoint.timeoutMs:',
        'delivery.ratePerSec:',
        'delivery.ordering:',
        'delivery.maxRetries:',
      ]) {
        expect(text).toContain(field);
      }
      expect(await count()).toBe(before);
    });

    it('answers 400 for a body that is not JSON', async () => {
      const res = await t.proxy.api('POST', '/api/subscriptions', '{"name": "x",');
      expect(res.status).toBe(400);
      expect(res.body.message).toEqual([expect.stringMatching(/^body: is not valid JSON/)]);
      expect(res.body.code).toBe('INVALID_JSON');
    });

    it("answers the body parser's refusals as 4xx with their codes, never 500", async () => {
      const charset = await t.proxy.request('POST', '/api/subscriptions', { body: '{}', headers: { 'content-type': 'application/json; charset=klingon' } });
      expect(charset.status).toBe(415);
      expect(charset.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      expect(charset.body.message).toEqual([expect.stringMatching(/^body: unsupported charset/i)]);
      const encoding = await t.proxy.request('POST', '/api/subscriptions', { body: '{}', headers: { 'content-encoding': 'zstd-nope' } });
      expect(encoding.status).toBe(415);
      expect(encoding.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    });

    it('answers a created subscription, a list, a 400 with its fields, a 409 and 404s as the OpenAPI document describes them', async () => {
      const matches = await answerSchemas();
      const body = valid();
      const created = await t.proxy.api('POST', '/api/subscriptions', body);
      expect(created.status).toBe(201);
      expect(matches('POST /api/subscriptions', created)).toEqual([]);
      // The check can fail: a subscription is not an error body.
      expect(matches('POST /api/subscriptions', { status: 409, body: created.body })).not.toEqual([]);
      const list = await t.proxy.api('GET', '/api/subscriptions');
      expect(list.body.length).toBeGreaterThan(0);
      expect(matches('GET /api/subscriptions', list)).toEqual([]);

      const invalid = await t.proxy.api('POST', '/api/subscriptions', {
        ...body,
        endpoint: { url: 'ftp://127.0.0.1/x' },
        delivery: { maxInFlight: 0 },
        colour: 'blue',
      });
      expect(invalid.status).toBe(400);
      expect(invalid.body).toMatchObject({
        statusCode: 400,
        error: 'Bad Request',
        code: 'VALIDATION_FAILED',
        fields: [
          { path: 'endpoint.url', message: expect.stringMatching(/^scheme "ftp" is not allowed/) },
          { path: 'delivery.maxInFlight', message: 'must be at least 1' },
          { path: 'colour', message: 'is not a known field' },
        ],
      });
      expect(invalid.body.message).toEqual(invalid.body.fields.map((f: { path: string; message: string }) => `${f.path}: ${f.message}`));
      expect(matches('POST /api/subscriptions', invalid)).toEqual([]);

      const taken = await t.proxy.api('POST', '/api/subscriptions', body);
      expect(taken).toMatchObject({
        status: 409,
        body: { statusCode: 409, error: 'Conflict', code: 'SUBSCRIPTION_NAME_TAKEN', message: expect.stringContaining('already exists') },
      });
      expect(matches('POST /api/subscriptions', taken)).toEqual([]);

      const missing = await t.proxy.api('GET', '/api/subscriptions/999999');
      expect(missing).toMatchObject({
        status: 404,
        body: { statusCode: 404, error: 'Not Found', code: 'SUBSCRIPTION_NOT_FOUND', message: 'subscription 999999 does not exist' },
      });
      expect(matches('GET /api/subscriptions/{id}', missing)).toEqual([]);
      const badId = await t.proxy.api('GET', '/api/subscriptions/abc');
      expect(badId).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED', fields: [{ path: 'id', message: '"abc" is not a positive integer' }] } });
      expect(matches('GET /api/subscriptions/{id}', badId)).toEqual([]);
      const noRoute = await t.proxy.api('GET', '/api/subscriptionz');
      expect(noRoute).toMatchObject({ status: 404, body: { statusCode: 404, error: 'Not Found', code: 'NOT_FOUND' } });
    });

    it('answers 400 for unknown fields, 404 for unknown ids and 409 for a duplicate name', async () => {
      const extra = await t.proxy.api('POST', '/api/subscriptions', { ...valid(), colour: 'blue' });
      expect(extra.status).toBe(400);
      expect(extra.body.message).toEqual(['colour: is not a known field']);
      expect(extra.body.fields).toEqual([{ path: 'colour', message: 'is not a known field' }]);
      expect((await t.proxy.api('GET', '/api/subscriptions/999999')).status).toBe(404);
      expect((await t.proxy.api('GET', '/api/subscriptions/abc')).status).toBe(400);
      const body = valid();
      expect((await t.proxy.api('POST', '/api/subscriptions', body)).status).toBe(201);
      const dup = await t.proxy.api('POST', '/api/subscriptions', body);
      expect(dup.status).toBe(409);
      expect(dup.body.message).toContain('already exists');
    });

    it('stores the longest JSONPath it accepts in every path column', async () => {
      const longest = '$.' + 'a'.repeat(1022);
      const base = valid() as { name: string; endpoint: Record<string, unknown> };
      const body = { ...base, endpoint: { ...base.endpoint, errcodePath: longest, itemResultsPath: longest } };
      const res = await t.proxy.api('POST', '/api/subscriptions', body);
      expect(res.status).toBe(201);
      const stored = (await t.proxy.api('GET', `/api/subscriptions/${res.body.id}`)).body;
      expect([stored.endpoint.errcodePath, stored.endpoint.itemResultsPath]).toEqual([longest, longest]);
      const over = await t.proxy.api('POST', '/api/subscriptions', {
        ...body,
        name: `${body.name}-over`,
        endpoint: { ...body.endpoint, errcodePath: longest + 'a' },
      });
      expect(over.status).toBe(400);
      expect(over.body.message).toEqual(['endpoint.errcodePath: JSONPath is 1025 characters long; at most 1024 are allowed']);
    });

    it('rejects an invalid PATCH and keeps the stored subscription unchanged', async () => {
      const created = (await t.proxy.api('POST', '/api/subscriptions', valid())).body;
      const res = await t.proxy.api('PATCH', `/api/subscriptions/${created.id}`, { endpoint: { url: 'gopher://x' }, delivery: { maxInFlight: 0 } });
      expect(res.status).toBe(400);
      expect(res.body.message).toEqual([expect.stringMatching(/^endpoint\.url: scheme "gopher"/), 'delivery.maxInFlight: must be at least 1']);
      const after = (await t.proxy.api('GET', `/api/subscriptions/${created.id}`)).body;
      expect(after).toEqual(created);
    });
  });

  it('masks secret headers and keeps them when the masked value is sent back', async () => {
    const body = valid();
    (body.endpoint as Record<string, unknown>).headers = { Authorization: 'Bearer s3cret', 'X-App': 'billing', 'Content-Type': 'application/json' };
    const created = (await t.proxy.api('POST', '/api/subscriptions', body)).body;
    // Every header is secret unless it is on the short public list (issue 17).
    expect(created.endpoint.headers).toEqual({ Authorization: '****', 'X-App': '****', 'Content-Type': 'application/json' });
    expect(JSON.stringify(created)).not.toContain('s3cret');
    const patched = await t.proxy.api('PATCH', `/api/subscriptions/${created.id}`, { endpoint: { headers: created.endpoint.headers, timeoutMs: 999 } });
    expect(patched.status).toBe(200);
    const conn = await createConnection(TEST_DATABASE_URL);
    const [rows] = await conn.query('SELECT e.headers, e.timeout_ms FROM subscriptions s JOIN endpoints e ON e.id = s.endpoint_id WHERE s.id = ?', [
      created.id,
    ]);
    await conn.end();
    const row = (rows as Array<{ headers: string; timeout_ms: number }>)[0];
    const stored = typeof row.headers === 'string' ? JSON.parse(row.headers) : row.headers;
    expect(stored['Content-Type']).toBe('application/json');
    expect(stored['X-App']).toMatch(/^enc:v1:/);
    expect(new SecretBox(Buffer.from(TEST_SECRETS_KEY, 'base64')).open(stored['X-App'], 'endpoint.headers.X-App')).toBe('billing');
    expect(stored.Authorization).toMatch(/^enc:v1:/);
    expect(new SecretBox(Buffer.from(TEST_SECRETS_KEY, 'base64')).open(stored.Authorization, 'endpoint.headers.Authorization')).toBe('Bearer s3cret');
    expect(row.timeout_ms).toBe(999);
  });

  it('applies a PATCH to a running subscription without restarting its consumer', async () => {
    const topic = unique('live');
    await t.kafka.createTopic(topic, 1);
    const created = (
      await t.proxy.api(
        'POST',
        '/api/subscriptions',
        subscriptionBody({ name: unique('live'), brokers: t.kafka.bootstrap, topic, url: `${t.sink.url}/before` }),
      )
    ).body;
    await t.client.produceJson(topic, [{ id: 1, a: 'x' }]);
    await waitFor(() => t.sink.requests.some((r) => r.path === '/before'), 'delivery to the first URL');
    const starts = t.proxy.logs.filter((l) => l.msg === 'consumer started' && l.subscription === created.id).length;
    const res = await t.proxy.api('PATCH', `/api/subscriptions/${created.id}`, { endpoint: { url: `${t.sink.url}/after` }, etl: { fields: { only: '$.id' } } });
    expect(res.status).toBe(200);
    await t.client.produceJson(topic, [{ id: 2, a: 'y' }]);
    const after = await waitFor(() => t.sink.requests.find((r) => r.path === '/after'), 'delivery to the patched URL');
    expect(JSON.parse(after.body)).toEqual({ only: 2 });
    expect(t.proxy.logs.filter((l) => l.msg === 'consumer started' && l.subscription === created.id)).toHaveLength(starts);
  });

  it('runs a subscription inserted with plain SQL after a refresh', async () => {
    const topic = unique('sql');
    await t.kafka.createTopic(topic, 1);
    const name = unique('sql-sub');
    const conn = await createConnection(TEST_DATABASE_URL);
    await conn.query('INSERT INTO kafka_sources (brokers, topic, group_id, start_from) VALUES (?, ?, ?, ?)', [
      t.kafka.bootstrap,
      topic,
      `g-${name}`,
      'earliest',
    ]);
    await conn.query(`INSERT INTO etl_configs (filter_rules, fields) VALUES ('[{"path":"$.type","op":"eq","value":"order"}]', '{"orderId":"$.id"}')`);
    await conn.query(`INSERT INTO endpoints (url, headers) VALUES (?, '{"X-From":"sql"}')`, [`${t.sink.url}/sql`]);
    await conn.query(
      `INSERT INTO subscriptions (name, kafka_source_id, etl_config_id, endpoint_id, status)
       VALUES (?, (SELECT MAX(id) FROM kafka_sources), (SELECT MAX(id) FROM etl_configs), (SELECT MAX(id) FROM endpoints), 'running')`,
      [name],
    );
    await conn.end();
    await t.client.produceJson(topic, [
      { type: 'order', id: 42 },
      { type: 'other', id: 43 },
    ]);
    expect((await t.proxy.api('POST', '/api/config/refresh')).status).toBe(200);
    const got = await waitFor(() => t.sink.requests.find((r) => r.path === '/sql'), 'delivery of the SQL-configured subscription');
    expect(JSON.parse(got.body)).toEqual({ orderId: 42 });
    expect(got.headers['x-from']).toBe('sql');
    const listed = ((await t.proxy.api('GET', '/api/subscriptions')).body as any[]).find((s) => s.name === name);
    expect(listed.configErrors).toBeNull();
  });

  it('reports an invalid SQL row instead of running it', async () => {
    const conn = await createConnection(TEST_DATABASE_URL);
    const name = unique('broken');
    await conn.query("INSERT INTO kafka_sources (brokers, topic) VALUES ('not a broker', 'x')");
    await conn.query("INSERT INTO endpoints (url) VALUES ('file:///etc/passwd')");
    await conn.query(
      `INSERT INTO subscriptions (name, kafka_source_id, endpoint_id, status) VALUES (?, (SELECT MAX(id) FROM kafka_sources), (SELECT MAX(id) FROM endpoints), 'running')`,
      [name],
    );
    await conn.end();
    await t.proxy.api('POST', '/api/config/refresh');
    const list = await t.proxy.api('GET', '/api/subscriptions');
    const listed = (list.body as any[]).find((s) => s.name === name);
    expect(listed.configErrors).toEqual([expect.stringMatching(/^kafka\.brokers:/), expect.stringMatching(/^endpoint\.url: scheme "file"/)]);
    // A row that cannot run is still answered as the document describes a subscription.
    expect((await answerSchemas())('GET /api/subscriptions', list)).toEqual([]);
    expect(t.proxy.logs.some((l) => l.msg === 'subscription config is invalid and will not run until it is fixed' && l.subscription === listed.id)).toBe(true);
  });

  it('stops delivering after stop, deletes on DELETE', async () => {
    const topic = unique('stop');
    await t.kafka.createTopic(topic, 1);
    const created = (
      await t.proxy.api('POST', '/api/subscriptions', subscriptionBody({ name: unique('stop'), brokers: t.kafka.bootstrap, topic, url: `${t.sink.url}/stop` }))
    ).body;
    await t.client.produceJson(topic, [{ n: 1 }]);
    await waitFor(() => t.sink.attempts(`${topic}-0-0`) === 1, 'first delivery');
    const stopped = await t.proxy.api('POST', `/api/subscriptions/${created.id}/stop`);
    expect(stopped.body.status).toBe('stopped');
    await t.client.produceJson(topic, [{ n: 2 }]);
    const refresh = await t.proxy.api('POST', '/api/config/refresh');
    expect(refresh.body.consumers.find((c: any) => c.subscriptionId === created.id)).toBeUndefined();
    expect(t.sink.attempts(`${topic}-0-1`)).toBe(0);
    await t.proxy.api('POST', `/api/subscriptions/${created.id}/start`);
    await waitFor(() => t.sink.attempts(`${topic}-0-1`) === 1, 'delivery after start');
    expect(t.sink.attempts(`${topic}-0-0`)).toBe(1);
    expect((await t.proxy.api('DELETE', `/api/subscriptions/${created.id}`)).status).toBe(200);
    expect((await t.proxy.api('GET', `/api/subscriptions/${created.id}`)).status).toBe(404);
  });
});

describe('process configuration', () => {
  it('refuses to start with a bad env value and names it', async () => {
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'main.js')], {
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: 'postgres://x', PORT: 'eighty', CONFIG_REFRESH_INTERVAL_MS: '-3' },
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toContain('DATABASE_URL');
    expect(stderr).toContain('PORT: must be a whole number');
    expect(stderr).toContain('CONFIG_REFRESH_INTERVAL_MS');
  });
});
