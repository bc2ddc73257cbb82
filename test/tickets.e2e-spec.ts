import { subscriptionBody, unique } from './support/fixtures';
import { useTestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

const OPERATOR = 'operator-token-0123456789';
const REQUESTER = 'requester-token-0123456789';

describe('tickets and roles', () => {
  const t = useTestWorld({ proxy: { adminToken: OPERATOR, env: { REQUESTER_TOKEN: REQUESTER } } });

  const ticketBody = (topic: string, path: string, extra: Record<string, unknown> = {}) => ({
    ...subscriptionBody({
      name: unique('ticket'),
      brokers: t.kafka.bootstrap,
      topic,
      url: `${t.sink.url}${path}`,
      endpoint: { headers: { Authorization: 'Bearer business-secret' } },
    }),
    requester: 'dana@shop',
    reason: 'billing needs order events',
    ...extra,
  });

  it('a requester submits, nothing runs while pending, an operator approves and the subscription delivers', async () => {
    const topic = unique('tickets');
    await t.kafka.createTopic(topic, 1);
    await t.client.produceJson(topic, [{ id: 1 }, { id: 2 }]);

    const submitted = await t.proxy.api('POST', '/api/tickets', ticketBody(topic, '/ticketed'), REQUESTER);
    expect(submitted.status).toBe(201);
    expect(submitted.body).toMatchObject({ state: 'pending', requester: 'dana@shop', reason: 'billing needs order events', subscriptionId: null });
    expect(submitted.body.subscription.endpoint.headers.Authorization).toBe('****');
    expect(JSON.stringify(submitted.body)).not.toContain('business-secret');
    const id = submitted.body.id;

    // Pending runs nothing: no subscription exists and no request reaches the endpoint.
    expect((await t.proxy.api('GET', '/api/subscriptions', undefined, REQUESTER)).body).toEqual([]);
    expect((await t.proxy.api('GET', `/api/tickets?state=pending`, undefined, REQUESTER)).body.map((x: { id: number }) => x.id)).toEqual([id]);

    // The requester cannot decide, nor change subscriptions.
    const denied = await t.proxy.api('POST', `/api/tickets/${id}/approve`, undefined, REQUESTER);
    expect(denied.status).toBe(403);
    expect(denied.body.message).toMatch(/needs the operator token/);
    expect((await t.proxy.api('POST', '/api/subscriptions', {}, REQUESTER)).status).toBe(403);

    const approved = await t.proxy.api('POST', `/api/tickets/${id}/approve`, { operator: 'olga' }, OPERATOR);
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ state: 'approved', decidedBy: 'olga' });
    expect(Date.parse(approved.body.decidedAt)).toBeGreaterThan(Date.now() - 60_000);
    const subscriptionId = approved.body.subscriptionId;
    expect(subscriptionId).toEqual(expect.any(Number));

    await waitFor(() => t.sink.requests.filter((q) => q.path === '/ticketed').length === 2, 'the approved subscription to deliver');
    expect(t.sink.requests.find((q) => q.path === '/ticketed')?.headers.authorization).toBe('Bearer business-secret');
    const sub = await t.proxy.api('GET', `/api/subscriptions/${subscriptionId}`, undefined, REQUESTER);
    expect(sub.status).toBe(200);
    expect(sub.body.endpoint.headers.Authorization).toBe('****');
    expect((await t.proxy.api('GET', `/api/subscriptions/${subscriptionId}/status`, undefined, REQUESTER)).status).toBe(200);
    expect((await t.proxy.api('POST', `/api/subscriptions/${subscriptionId}/stop`, undefined, REQUESTER)).status).toBe(403);

    // Deciding twice is a conflict that says who decided.
    const again = await t.proxy.api('POST', `/api/tickets/${id}/approve`, undefined, OPERATOR);
    expect(again.status).toBe(409);
    expect(again.body.message).toMatch(/already approved by olga/);
    expect((await t.proxy.api('POST', `/api/tickets/${id}/reject`, { reason: 'changed my mind' }, OPERATOR)).status).toBe(409);
    expect((await t.proxy.api('GET', '/api/subscriptions', undefined, OPERATOR)).body).toHaveLength(1);
  });

  it('rejects with a reason; a rejected ticket cannot be approved', async () => {
    const submitted = await t.proxy.api('POST', '/api/tickets', ticketBody(unique('rejected'), '/rejected'), REQUESTER);
    const id = submitted.body.id;
    expect((await t.proxy.api('POST', `/api/tickets/${id}/reject`, {}, OPERATOR)).body.message).toEqual(['reason: is required']);
    const rejected = await t.proxy.api('POST', `/api/tickets/${id}/reject`, { reason: 'use the shared billing topic instead' }, OPERATOR);
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({
      state: 'rejected',
      rejectionReason: 'use the shared billing topic instead',
      decidedBy: 'operator',
      subscriptionId: null,
    });
    const approve = await t.proxy.api('POST', `/api/tickets/${id}/approve`, undefined, OPERATOR);
    expect(approve.status).toBe(409);
    expect(approve.body.message).toMatch(/already rejected/);
    expect((await t.proxy.api('GET', `/api/tickets/${id}`, undefined, REQUESTER)).body.state).toBe('rejected');
  });

  it('names every bad field of a ticket, and keeps an approval that cannot create its subscription pending', async () => {
    const bad = await t.proxy.api(
      'POST',
      '/api/tickets',
      { ...ticketBody('x', '/x'), requester: '', reason: 7, endpoint: { url: 'ftp://nowhere' }, surprise: true },
      REQUESTER,
    );
    expect(bad.status).toBe(400);
    expect(bad.body.message).toEqual(expect.arrayContaining(['requester: must not be empty', 'reason: must be a string', 'surprise: is not a known field']));
    expect(bad.body.message.some((m: string) => m.startsWith('endpoint.url'))).toBe(true);
    expect((await t.proxy.api('POST', '/api/tickets', ticketBody('x', '/x'), '')).status).toBe(401);
    expect((await t.proxy.api('GET', '/api/tickets/999999', undefined, REQUESTER)).status).toBe(404);
    expect((await t.proxy.api('GET', '/api/tickets?state=maybe', undefined, REQUESTER)).body.message).toEqual([
      'state: must be one of pending, approved, rejected',
    ]);

    // Two tickets for the same name: the second approval conflicts and stays pending.
    const body = ticketBody(unique('dup'), '/dup');
    const first = await t.proxy.api('POST', '/api/tickets', body, REQUESTER);
    const second = await t.proxy.api('POST', '/api/tickets', { ...body, requester: 'eve@shop' }, REQUESTER);
    expect((await t.proxy.api('POST', `/api/tickets/${first.body.id}/approve`, undefined, OPERATOR)).status).toBe(200);
    const clash = await t.proxy.api('POST', `/api/tickets/${second.body.id}/approve`, undefined, OPERATOR);
    expect(clash.status).toBe(409);
    expect(clash.body.message).toMatch(/already exists/);
    expect((await t.proxy.api('GET', `/api/tickets/${second.body.id}`, undefined, OPERATOR)).body).toMatchObject({ state: 'pending', subscriptionId: null });
  });
});
