import { subscriptionBody, unique } from '../support/fixtures';
import { useTestWorld } from '../support/test-world';

/**
 * Fault scenario 8: hostile and malformed admin requests. Every answer must be a 4xx naming
 * what is wrong, never a 500, and the database must be exactly as it was.
 */
describe('admin API fuzz', () => {
  const t = useTestWorld();

  const HOSTILE_STRINGS = [
    "'; DROP TABLE subscriptions; --",
    '" OR 1=1 --',
    '\u0000',
    'a\r\nX-Injected: 1',
    '../../etc/passwd',
    '${jndi:ldap://x}',
    '<script>alert(1)</script>',
    'x'.repeat(70_000),
    '\ud800',
    '🙂'.repeat(200),
  ];
  const POLLUTION = ['__proto__', 'constructor', 'prototype'];

  /** Values that cannot be valid where `valid` is: another type, out of range, or malformed. */
  function wrong(valid: unknown): unknown[] {
    if (typeof valid === 'number') return ['12', true, [], { a: 1 }, -1, 1.5, 1e308, ...HOSTILE_STRINGS];
    if (typeof valid === 'string') return [12, true, [], { a: 1 }, '', ...HOSTILE_STRINGS];
    if (typeof valid === 'boolean') return ['true', 1, [], { a: 1 }];
    return ['x', 12, true, [1, 2], ...HOSTILE_STRINGS.slice(0, 3)];
  }

  function bodies(valid: Record<string, any>): unknown[] {
    const out: unknown[] = [];
    const paths: string[][] = [];
    for (const [section, value] of Object.entries(valid)) {
      paths.push([section]);
      if (value && typeof value === 'object' && !Array.isArray(value)) for (const key of Object.keys(value)) paths.push([section, key]);
    }
    const set = (path: string[], v: unknown) => {
      const copy = JSON.parse(JSON.stringify(valid));
      let at = copy;
      for (const p of path.slice(0, -1)) at = at[p];
      at[path[path.length - 1]] = v;
      return copy;
    };
    for (const path of paths) {
      let current: any = valid;
      for (const p of path) current = current[p];
      for (const v of wrong(current)) out.push(set(path, v));
    }
    for (const key of POLLUTION) {
      out.push(`{"${key}": {"polluted": true}}`);
      out.push(`{"delivery": {"${key}": {"maxRetries": 1}}}`);
      out.push(JSON.stringify(valid).replace(/^\{/, `{"${key}": {"isAdmin": true},`));
    }
    out.push('{', '[]', 'null', '"string"', '{"name":', '{"a":1}{"b":2}', '\u0000', '[{"name":"x"}]', 'not json at all');
    out.push(JSON.stringify({ ...valid, extra: 1 }));
    out.push(JSON.stringify({ ...valid, name: 'x'.repeat(2_000_000) }));
    return out;
  }

  async function snapshot(): Promise<string> {
    const list = await t.proxy.api('GET', '/api/subscriptions');
    const dl = await t.proxy.api('GET', '/api/dead-letters');
    const tickets = await t.proxy.api('GET', '/api/tickets');
    return JSON.stringify([list.body, dl.body, tickets.body]);
  }

  it('answers hundreds of malformed or hostile requests with clear 4xx errors and changes nothing', async () => {
    const topic = unique('fuzz');
    await t.kafka.createTopic(topic, 1);
    const valid = subscriptionBody({ name: unique('fuzz'), brokers: t.kafka.bootstrap, topic, url: `${t.sink.url}/fuzz`, status: 'stopped' });
    const created = await t.proxy.api('POST', '/api/subscriptions', valid);
    expect(created.status).toBe(201);
    const id = created.body.id as number;
    const before = await snapshot();

    const requests: Array<[string, string, unknown]> = [];
    for (const body of bodies(valid)) requests.push(['POST', '/api/subscriptions', body]);
    for (const body of bodies({ endpoint: valid.endpoint, delivery: valid.delivery })) {
      requests.push(['PATCH', `/api/subscriptions/${id}`, body]);
    }
    // Tickets: the same hostile subscription bodies, from a named requester with a reason.
    for (const body of bodies(valid)) {
      if (body && typeof body === 'object' && !Array.isArray(body))
        requests.push(['POST', '/api/tickets', { ...(body as object), requester: 'fuzz', reason: 'fuzzing' }]);
    }
    // Requester names: wrong types, empty, too long, control characters and a lone surrogate (printable hostile text is a valid name).
    for (const bad of [12, true, [], { a: 1 }, '', 'x'.repeat(70_000), '\u0000', 'a\r\nX-Injected: 1', '\ud800', '🙂'.repeat(200)]) {
      requests.push(['POST', '/api/tickets', { ...valid, name: unique('fuzz-ticket'), requester: bad, reason: 'fuzzing' }]);
    }
    // Bounds of issue 17: too many or too large headers, a stalling rate, a malformed owner.
    requests.push([
      'POST',
      '/api/subscriptions',
      { ...valid, endpoint: { ...(valid.endpoint as object), headers: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`x-${i}`, 'v'])) } },
    ]);
    requests.push(['POST', '/api/subscriptions', { ...valid, endpoint: { ...(valid.endpoint as object), headers: { 'x-big': 'v'.repeat(100_000) } } }]);
    requests.push(['POST', '/api/subscriptions', { ...valid, delivery: { ratePerSec: 1e-9 } }]);
    for (const owner of ['Team', '', 'a'.repeat(65), '../x', 12]) requests.push(['POST', '/api/subscriptions', { ...valid, owner }]);
    for (const body of bodies({ to: 'earliest', restart: false })) requests.push(['POST', `/api/subscriptions/${id}/offsets/reset`, body]);
    for (const offsets of wrong([])) requests.push(['POST', `/api/subscriptions/${id}/offsets/reset`, { to: 'offsets', offsets }]);
    for (const entry of [{ partition: -1, offset: 0 }, { partition: 0, offset: 'x' }, { partition: 0 }, { partition: 0, offset: 0, extra: 1 }]) {
      requests.push(['POST', `/api/subscriptions/${id}/offsets/reset`, { to: 'offsets', offsets: [entry] }]);
    }
    for (const path of [
      `/api/subscriptions/abc`,
      `/api/subscriptions/-1`,
      `/api/subscriptions/1e3`,
      `/api/subscriptions/99999999999999999999`,
      `/api/subscriptions/${id}%27%20OR%201=1`,
      `/api/dead-letters?subscriptionId=abc`,
      `/api/dead-letters?limit=-5`,
      `/api/dead-letters?limit=1e9`,
      `/api/dead-letters?state=%27;DROP`,
      `/api/dead-letters?beforeId=__proto__`,
      `/api/tickets/abc`,
      `/api/tickets/0`,
      `/api/tickets?state=%27;DROP`,
      `/api/tickets?limit=1e9`,
    ]) {
      requests.push(['GET', path, undefined]);
      requests.push(['DELETE', path, undefined]);
    }

    const failures: string[] = [];
    for (const [method, path, body] of requests) {
      const res = await t.proxy.api(method, path, body);
      const text = typeof res.body === 'string' ? res.body : JSON.stringify(res.body);
      const clear = res.status >= 400 && res.status < 500 && /message|error/i.test(text) && text.length > 20;
      if (!clear)
        failures.push(
          `${method} ${path} ${String(typeof body === 'string' ? body : JSON.stringify(body)).slice(0, 120)} -> ${res.status} ${text.slice(0, 200)}`,
        );
    }
    const unchanged = (await snapshot()) === before;
    process.stdout.write(
      `[faults] admin fuzz: requests ${requests.length}, clear 4xx ${requests.length - failures.length}, other ${failures.length}, database unchanged ${unchanged ? 'yes' : 'NO'}\n`,
    );
    expect(requests.length).toBeGreaterThan(300);
    expect(failures).toEqual([]);
    expect(await snapshot()).toBe(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(t.proxy.stderr.join('\n')).not.toMatch(/TypeError|ReferenceError|Unhandled/);
  });
});
