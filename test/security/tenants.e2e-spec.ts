import { KafkaConsumer } from '@confluentinc/kafka-javascript';
import { createConnection } from 'mysql2/promise';
import { subscriptionBody, unique } from '../support/fixtures';
import { TEST_DATABASE_URL } from '../support/test-env';
import { useTestWorld } from '../support/test-world';
import { waitFor } from '../support/wait-for';

const OPERATOR = 'operator-token-0123456789';
const PAYMENTS = 'payments-token-0123456789';
const SEARCH = 'search-token-0123456789ab';

/**
 * Issue 17, items 1-3 and the ticket/header bounds of item 5: what a hostile requester (a team
 * with its own requester token) tries against another team, each refused or bounded.
 */
describe('tenants cannot hurt each other', () => {
  const t = useTestWorld({
    proxy: { adminToken: OPERATOR, env: { REQUESTER_TOKENS: `payments=${PAYMENTS},search=${SEARCH}`, TICKET_PENDING_LIMIT: '3' } },
  });

  /** A subscription body; `kafka` and `hosts`/`alerts` in `extra` go where the fixture does not put them. */
  const body = (name: string, topic: string, extra: Record<string, unknown> = {}): Record<string, unknown> => {
    const { kafka, hosts, alerts, ...rest } = extra;
    const out = subscriptionBody({ name, brokers: t.kafka.bootstrap, topic, url: `${t.sink.url}/${name}`, ...rest });
    out.kafka = { ...(out.kafka as object), ...(kafka as object | undefined) };
    if (hosts) out.hosts = hosts;
    if (alerts) out.alerts = alerts;
    return out;
  };
  const ticket = (spec: Record<string, unknown>, token: string) =>
    t.proxy.api('POST', '/api/tickets', { ...spec, requester: 'someone', reason: 'needs events' }, token);
  const approve = (id: number) => t.proxy.api('POST', `/api/tickets/${id}/approve`, undefined, OPERATOR);

  it('refuses a second subscription in a consumer group of the same cluster, from a ticket, a create or a PATCH', async () => {
    const topic = unique('groups');
    await t.kafka.createTopic(topic, 1);
    const victim = await t.proxy.api('POST', '/api/subscriptions', body(unique('victim'), topic), OPERATOR);
    expect(victim.status).toBe(201);
    const group = victim.body.kafka.groupId as string;
    // Every requester can read the group name of its own subscriptions; here the attacker just guesses it.
    const hijack = await ticket(body(unique('hijack'), topic, { kafka: { groupId: group } }), SEARCH);
    expect(hijack.status).toBe(409);
    expect(hijack.body.message).toContain(`consumer group "${group}" belongs to subscription ${victim.body.id}`);
    // The same cluster spelled another way (a name for the address) does not get a ticket past it.
    const respelled = body(unique('hijack'), topic, { kafka: { groupId: group } });
    (respelled.kafka as Record<string, unknown>).brokers = t.kafka.bootstrap.replace('127.0.0.1', 'localhost');
    expect((await ticket(respelled, SEARCH)).status).toBe(409);
    // A row written with SQL and no group_id consumes as kproxy.<name>: it holds that group.
    const handWritten = await t.proxy.api('POST', '/api/subscriptions', body(unique('sql-row'), topic), OPERATOR);
    const conn = await createConnection(TEST_DATABASE_URL);
    await conn.query('UPDATE kafka_sources k JOIN subscriptions s ON s.kafka_source_id = k.id SET k.group_id = NULL WHERE s.id = ?', [handWritten.body.id]);
    await conn.end();
    const implicit = await ticket(body(unique('hijack'), topic, { kafka: { groupId: `kproxy.${handWritten.body.name}` } }), SEARCH);
    expect(implicit.status).toBe(409);
    expect(implicit.body.message).toContain(`belongs to subscription ${handWritten.body.id}`);
    const direct = await t.proxy.api('POST', '/api/subscriptions', body(unique('twin'), topic, { kafka: { groupId: group } }), OPERATOR);
    expect(direct.status).toBe(409);
    const other = await t.proxy.api('POST', '/api/subscriptions', body(unique('other'), topic), OPERATOR);
    const moved = await t.proxy.api('PATCH', `/api/subscriptions/${other.body.id}`, { kafka: { groupId: group } }, OPERATOR);
    expect(moved.status).toBe(409);
    // The same group name on another cluster is another group.
    const elsewhere = body(unique('elsewhere'), topic, { kafka: { groupId: group } });
    (elsewhere.kafka as Record<string, unknown>).brokers = 'kafka.other-cluster.example:9092';
    expect((await t.proxy.api('POST', '/api/subscriptions', elsewhere, OPERATOR)).status).toBe(201);
    // A ticket that was fine when submitted is refused at approval once someone took its group.
    const late = await ticket(body(unique('late'), topic, { kafka: { groupId: 'kproxy.shared-late' } }), PAYMENTS);
    expect(late.status).toBe(201);
    expect((await t.proxy.api('POST', '/api/subscriptions', body(unique('first'), topic, { kafka: { groupId: 'kproxy.shared-late' } }), OPERATOR)).status).toBe(
      201,
    );
    const refused = await approve(late.body.id);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toContain('consumer group "kproxy.shared-late"');
  });

  it("keeps a ticket out of another owner's rate group and refuses a rate that would stall a group", async () => {
    const topic = unique('rates');
    await t.kafka.createTopic(topic, 1);
    const group = unique('billing-api');
    const owned = await t.proxy.api(
      'POST',
      '/api/subscriptions',
      body(unique('rated'), topic, { endpoint: { rateGroup: group }, delivery: { ratePerSec: 50 } }),
      OPERATOR,
    );
    expect(owned.status).toBe(201);
    const join = await ticket(body(unique('joiner'), topic, { endpoint: { rateGroup: group }, delivery: { ratePerSec: 0.000001 } }), SEARCH);
    expect(join.status).toBe(400);
    expect(join.body.message).toEqual(['delivery.ratePerSec: must be 0 (unlimited) or at least 0.1 (one record in 10 s)']);
    const slowJoin = await ticket(body(unique('joiner'), topic, { endpoint: { rateGroup: group }, delivery: { ratePerSec: 0.1 } }), SEARCH);
    expect(slowJoin.status).toBe(409);
    expect(slowJoin.body.message).toContain(`rate group "${group}" has members of other owners (subscription ${owned.body.id})`);
    // A team's own rate group stays its own to share.
    const mine = unique('search-api');
    const first = await ticket(body(unique('s1'), topic, { endpoint: { rateGroup: mine } }), SEARCH);
    expect((await approve(first.body.id)).status).toBe(200);
    expect((await ticket(body(unique('s2'), topic, { endpoint: { rateGroup: mine } }), SEARCH)).status).toBe(201);
    expect((await ticket(body(unique('p1'), topic, { endpoint: { rateGroup: mine } }), PAYMENTS)).status).toBe(409);
  });

  it("shows a requester only its own team's tickets and subscriptions, with every credential masked and sealed", async () => {
    const topic = unique('creds');
    await t.kafka.createTopic(topic, 1);
    const secrets = ['fn-key-7c1d', 'apim-key-93ab', 'auth-key-55ee', 'authn-0f0f', 'sas-sig-2468', 'url-pass-1357'];
    const spec = body(unique('pay'), topic, {
      endpoint: {
        headers: {
          'x-functions-key': secrets[0],
          'Ocp-Apim-Subscription-Key': secrets[1],
          'X-Auth-Key': secrets[2],
          Authentication: secrets[3],
          'Content-Type': 'application/json',
        },
      },
    });
    (spec.endpoint as Record<string, unknown>).url = `http://svc:${secrets[5]}@127.0.0.1:${new URL(t.sink.url).port}/pay?sig=${secrets[4]}&v=1`;
    const submitted = await ticket({ ...spec, status: 'running' }, PAYMENTS);
    expect(submitted.status).toBe(201);
    expect(submitted.body.team).toBe('payments');
    expect(submitted.body.subscription.owner).toBe('payments');
    expect(submitted.body.subscription.endpoint.url).toBe(`http://****:****@127.0.0.1:${new URL(t.sink.url).port}/pay?sig=****&v=****`);
    expect(submitted.body.subscription.endpoint.headers).toEqual({
      'x-functions-key': '****',
      'Ocp-Apim-Subscription-Key': '****',
      'X-Auth-Key': '****',
      Authentication: '****',
      'Content-Type': 'application/json',
    });
    const review = (await t.proxy.api('GET', `/api/tickets/${submitted.body.id}`, undefined, OPERATOR)).body.review as Array<{
      field: string;
      concern: string;
    }>;
    expect(review).toEqual(
      expect.arrayContaining([
        { field: 'endpoint.url', concern: 'carries user info and query parameters sig, v whose values are hidden' },
        { field: 'endpoint.headers', concern: 'values hidden (secrets): x-functions-key, Ocp-Apim-Subscription-Key, X-Auth-Key, Authentication' },
      ]),
    );
    // Another team neither lists nor reads the ticket.
    expect((await t.proxy.api('GET', '/api/tickets', undefined, SEARCH)).body.map((x: { id: number }) => x.id)).not.toContain(submitted.body.id);
    expect((await t.proxy.api('GET', `/api/tickets/${submitted.body.id}`, undefined, SEARCH)).status).toBe(404);
    expect((await t.proxy.api('GET', `/api/tickets/${submitted.body.id}`, undefined, PAYMENTS)).status).toBe(200);
    // A requester cannot claim another team as owner.
    const claim = await ticket({ ...body(unique('claim'), topic), owner: 'payments' }, SEARCH);
    expect(claim.status).toBe(400);
    expect(claim.body.message).toEqual(['owner: your requester token is team "search"; a ticket belongs to its team (leave owner out)']);

    const approved = await approve(submitted.body.id);
    expect(approved.status).toBe(200);
    const id = approved.body.subscriptionId as number;
    // Delivered with every credential in the clear.
    await t.client.produceJson(topic, [{ n: 1 }]);
    const got = await waitFor(() => t.sink.requests.find((r) => r.path.startsWith('/pay')), 'delivery with the opened credentials');
    expect(got.path).toBe(`/pay?sig=${secrets[4]}&v=1`);
    expect(got.headers['x-functions-key']).toBe(secrets[0]);
    expect(got.headers.authorization).toBe(`Basic ${Buffer.from(`svc:${secrets[5]}`).toString('base64')}`);

    const theirs = (await t.proxy.api('GET', `/api/subscriptions/${id}`, undefined, SEARCH)).body;
    expect(theirs).toEqual({
      view: 'summary',
      id,
      name: spec.name,
      owner: 'payments',
      kafka: { topic },
      status: 'running',
      version: expect.any(Number),
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const listed = (await t.proxy.api('GET', '/api/subscriptions', undefined, SEARCH)).body as Array<Record<string, unknown>>;
    expect(listed.find((s) => s.id === id)).toEqual(theirs);
    expect(listed.every((s) => s.view === (s.owner === 'search' ? 'full' : 'summary'))).toBe(true);
    expect(listed.filter((s) => s.view === 'summary').every((s) => !('endpoint' in s) && !('etl' in s) && !('alerts' in s))).toBe(true);
    const status = await t.proxy.api('GET', `/api/subscriptions/${id}/status`, undefined, SEARCH);
    expect(status.status).toBe(403);
    expect(status.body.message).toBe(`subscription ${id} belongs to team "payments"; your requester token is team "search"`);
    const own = (await t.proxy.api('GET', `/api/subscriptions/${id}`, undefined, PAYMENTS)).body;
    expect(own.view).toBe('full');
    expect(own.endpoint.headers['X-Auth-Key']).toBe('****');
    expect((await t.proxy.api('GET', `/api/subscriptions/${id}/status`, undefined, PAYMENTS)).status).toBe(200);

    const answers = JSON.stringify([
      submitted.body,
      approved.body,
      own,
      listed,
      (await t.proxy.api('GET', `/api/subscriptions/${id}`, undefined, OPERATOR)).body,
      (await t.proxy.api('GET', '/api/audit', undefined, OPERATOR)).body,
    ]);
    const conn = await createConnection(TEST_DATABASE_URL);
    const [rows] = await conn.query(
      'SELECT e.url, e.headers, t.spec FROM subscriptions s JOIN endpoints e ON e.id = s.endpoint_id JOIN tickets t ON t.subscription_id = s.id WHERE s.id = ?',
      [id],
    );
    await conn.end();
    const stored = JSON.stringify(rows);
    const logs = JSON.stringify(t.proxy.logs);
    for (const text of [answers, stored, logs]) for (const secret of secrets) expect(text).not.toContain(secret);
    expect((rows as Array<{ url: string }>)[0].url).toMatch(/^enc:v1:/);
  });

  it('shows the operator the whole requested spec with what deserves a second look', async () => {
    const topic = unique('review');
    await t.kafka.createTopic(topic, 1);
    const rated = unique('review-api');
    await ticket(body(unique('r0'), topic, { endpoint: { rateGroup: rated } }), SEARCH).then((r) => approve(r.body.id));
    const spec = body(unique('r1'), topic, {
      kafka: { groupId: unique('custom-group') },
      etl: { filter: [{ path: '$.name', op: 'regex', value: '^vip' }] },
      endpoint: { rateGroup: rated },
      delivery: { maxInFlight: 500, batchSize: 200 },
      alerts: { webhookUrl: 'http://10.1.2.3/hook' },
      hosts: ['instance-a'],
    });
    const submitted = await ticket(spec, SEARCH);
    expect(submitted.status).toBe(201);
    expect(submitted.body.review).toBeNull();
    // Another owner reads the same topic: the approver should know who else consumes it.
    const operators = await t.proxy.api('POST', '/api/subscriptions', body(unique('ops-reader'), topic, { status: 'stopped' }), OPERATOR);
    const seen = (await t.proxy.api('GET', `/api/tickets/${submitted.body.id}`, undefined, OPERATOR)).body;
    expect(seen.subscription).toMatchObject({ kafka: spec.kafka, etl: spec.etl, hosts: ['instance-a'] });
    expect(Object.fromEntries((seen.review as Array<{ field: string; concern: string }>).map((f) => [f.field, f.concern]))).toEqual({
      'kafka.topic': `also consumed by ${operators.body.id} "${operators.body.name}" (operators)`,
      'kafka.groupId': `names consumer group "${(spec.kafka as { groupId: string }).groupId}" instead of kproxy.${spec.name}`,
      'etl.filter[0]': 'regular expression on $.name',
      'endpoint.url': 'host 127.0.0.1 is a loopback or private address',
      'endpoint.rateGroup': expect.stringContaining(`joins rate group "${rated}", shared with`),
      'delivery.maxInFlight': '500 requests in flight (more than 64)',
      'delivery.batchSize': '200 records per request (more than 100)',
      'delivery.ratePerSec': 'no rate limit',
      hosts: 'pinned to instances instance-a',
      'alerts.webhookUrl': 'host 10.1.2.3 is a loopback or private address',
      status: 'starts consuming as soon as it is approved',
    });
    const listed = (await t.proxy.api('GET', '/api/tickets?state=pending', undefined, OPERATOR)).body as Array<{ id: number; review: unknown }>;
    expect(listed.find((x) => x.id === submitted.body.id)!.review).toEqual(seen.review);
  });

  it('bounds what one team may submit: pending tickets, body size and headers', async () => {
    const topic = unique('quota');
    let pending = ((await t.proxy.api('GET', '/api/tickets?state=pending', undefined, PAYMENTS)).body as unknown[]).length;
    while (pending < 3) {
      expect((await ticket(body(unique('q'), topic), PAYMENTS)).status).toBe(201);
      pending++;
    }
    const over = await ticket(body(unique('q'), topic), PAYMENTS);
    expect(over.status).toBe(429);
    expect(over.body.message).toBe('team "payments" has 3 pending tickets, the most it may have (TICKET_PENDING_LIMIT); wait for decisions');
    // The quota is per team: another team still submits once its own pending ones are decided.
    for (const p of (await t.proxy.api('GET', '/api/tickets?state=pending', undefined, SEARCH)).body as Array<{ id: number }>) {
      await t.proxy.api('POST', `/api/tickets/${p.id}/reject`, { reason: 'clearing the queue' }, OPERATOR);
    }
    expect((await ticket(body(unique('q'), topic), SEARCH)).status).toBe(201);
    // Headers that reroute a request at a gateway would hide its real destination behind a mask.
    for (const name of ['X-Forwarded-Host', 'X-Original-URL', 'X-HTTP-Method-Override', 'Forwarded']) {
      const rerouting = await ticket(body(unique('q'), topic, { endpoint: { headers: { [name]: 'billing.internal' } } }), SEARCH);
      expect(rerouting.status).toBe(400);
      expect(rerouting.body.message).toEqual([
        `endpoint.headers.${name}: reroutes the request or changes its method at a gateway; put the destination in endpoint.url and the method in endpoint.method`,
      ]);
    }
    const headers = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`x-h${i}`, 'v']));
    const wide = await t.proxy.api('POST', '/api/subscriptions', body(unique('wide'), topic, { endpoint: { headers } }), OPERATOR);
    expect(wide.status).toBe(400);
    expect(wide.body.message).toEqual(['endpoint.headers: may set at most 50 headers; 51 given']);
  });

  it("notices a consumer outside kproxy joining a subscription's group, and says so in status, logs and alerts", async () => {
    const topic = unique('outside');
    await t.kafka.createTopic(topic, 4);
    const created = await t.proxy.api('POST', '/api/subscriptions', body(unique('watched'), topic, { status: 'running' }), OPERATOR);
    const id = created.body.id as number;
    await waitFor(
      async () => ((await t.proxy.api('GET', `/api/subscriptions/${id}/status`, undefined, OPERATOR)).body.instances[0]?.partitions.length ?? 0) === 4,
      'the consumer owning all partitions',
    );
    const rogue = new KafkaConsumer(
      { 'group.id': created.body.kafka.groupId, 'metadata.broker.list': t.kafka.bootstrap, 'client.id': 'rogue-reader' },
      { 'auto.offset.reset': 'earliest' },
    );
    await new Promise<void>((resolve, reject) => rogue.connect({}, (err) => (err ? reject(err) : resolve())));
    rogue.subscribe([topic]);
    const polling = setInterval(() => rogue.consume(10, () => undefined), 200);
    try {
      const seen = await waitFor(
        async () => (await t.proxy.api('GET', `/api/subscriptions/${id}/status`, undefined, OPERATOR)).body.instances[0]?.foreignMembers,
        'status naming the outside member',
        { timeoutMs: 60_000 },
      );
      expect(seen).toEqual([{ clientId: 'rogue-reader', clientHost: expect.any(String) }]);
      const line = t.proxy.logs.find((l) => l.subscription === id && /members outside kproxy/.test(String(l.msg)));
      expect(line).toMatchObject({ level: 'error', members: [expect.stringMatching(/^rogue-reader at /)] });
    } finally {
      clearInterval(polling);
      await new Promise<void>((resolve) => rogue.disconnect(() => resolve()));
    }
  });
});
