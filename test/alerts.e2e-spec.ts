import { subscriptionBody, unique } from './support/fixtures';
import type { ProxyProcess } from './support/proxy-process';
import type { ReceivedRequest } from './support/sink-server';
import { useTestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

/**
 * Alert webhooks against a real proxy: the sink stands in for both the business API (paths
 * under /api-) and the webhook receivers (paths under /hook-).
 */
describe('alert webhooks', () => {
  const t = useTestWorld({
    responder: (q) => {
      if (q.path.startsWith('/api-refuse')) return { status: 422, body: { error: 'unknown account' } };
      if (q.path === '/api-slow') return { status: 200, delayMs: 300 };
      if (q.path === '/hook-hang') return { status: 200, delayMs: 20_000 };
      return { status: 200 };
    },
    proxy: false,
  });
  let proxy: ProxyProcess;

  beforeAll(async () => {
    proxy = await t.world.startProxy({
      env: { ALERT_EVALUATE_INTERVAL_MS: '200', ALERT_WEBHOOK_URL: `${t.sink.url}/hook-global`, ALERT_WEBHOOK_FORMAT: 'dingtalk' },
    });
  });

  const hooks = (path: string) => t.sink.requests.filter((q) => q.path === path);
  const json = (q: ReceivedRequest) => JSON.parse(q.body);
  const subscribe = async (topic: string, path: string, extra: Record<string, unknown>) => {
    await t.kafka.createTopic(topic, 1);
    const res = await proxy.api('POST', '/api/subscriptions', {
      ...subscriptionBody({ name: unique('alerted'), brokers: t.kafka.bootstrap, topic, url: `${t.sink.url}${path}`, delivery: { maxRetries: 0 } }),
      ...extra,
    });
    expect(res.status).toBe(201);
    return res.body;
  };

  it('sums dead letters per window, holds the next ones through the cool-down, and masks the webhook URL', async () => {
    const topic = unique('dl');
    const sub = await subscribe(topic, '/api-refuse', {
      alerts: { webhookUrl: `${t.sink.url}/hook-dl/T000/secret-token`, windowSeconds: 1, cooldownSeconds: 3 },
    });
    expect(sub.alerts.webhookUrl).toBe(`${t.sink.url}/****`);
    await t.client.produceJson(
      topic,
      [1, 2, 3, 4, 5].map((n) => ({ n })),
    );
    await waitFor(() => hooks('/hook-dl/T000/secret-token').length === 1, 'the first dead-letter alert');
    const first = json(hooks('/hook-dl/T000/secret-token')[0]);
    expect(first).toMatchObject({ kind: 'dead_letters', subscription: { id: sub.id, topic }, details: { count: 5, reasons: { rejected: 5 } } });
    await t.client.produceJson(
      topic,
      [6, 7, 8].map((n) => ({ n })),
    );
    await waitFor(() => hooks('/hook-dl/T000/secret-token').length === 2, 'the second alert after the cool-down', { timeoutMs: 15_000 });
    const [a, b] = hooks('/hook-dl/T000/secret-token');
    expect(json(b).details).toMatchObject({ count: 3 });
    expect(b.at - a.at).toBeGreaterThanOrEqual(2900);
    // A PATCH that sends the masked URL back keeps the real one.
    const patched = await proxy.api('PATCH', `/api/subscriptions/${sub.id}`, { alerts: { webhookUrl: sub.alerts.webhookUrl, cooldownSeconds: 4 } });
    expect(patched.status).toBe(200);
    const row = (await proxy.api('GET', `/api/subscriptions/${sub.id}`)).body;
    expect(row.alerts).toMatchObject({ webhookUrl: `${t.sink.url}/****`, cooldownSeconds: 4, windowSeconds: 1 });
    await t.client.produceJson(topic, [{ n: 9 }]);
    await waitFor(() => hooks('/hook-dl/T000/secret-token').length === 3, 'an alert to the kept URL', { timeoutMs: 15_000 });
  });

  it('reports a consumer that cannot reach Kafka in the chat text format', async () => {
    await t.kafka.createTopic(unique('unused'), 1);
    const res = await proxy.api('POST', '/api/subscriptions', {
      ...subscriptionBody({ name: unique('unreachable'), brokers: '127.0.0.1:1', topic: 'nowhere', url: `${t.sink.url}/api-never` }),
      alerts: { webhookUrl: `${t.sink.url}/hook-err`, format: 'slack' },
    });
    expect(res.status).toBe(201);
    const alert = await waitFor(() => hooks('/hook-err')[0], 'the consumer-error alert', { timeoutMs: 30_000 });
    expect(json(alert).text).toMatch(/^\[kproxy\] not consuming: cannot reach the Kafka cluster at 127\.0\.0\.1:1/);
    await proxy.api('DELETE', `/api/subscriptions/${res.body.id}`);
  });

  it('raises lag that stays over the threshold, to the global webhook in its format', async () => {
    const topic = unique('lag');
    await subscribe(topic, '/api-slow', { alerts: { lagThreshold: 10, lagForSeconds: 1, cooldownSeconds: 600 } });
    await t.client.produceJson(
      topic,
      Array.from({ length: 40 }, (_, n) => ({ n })),
    );
    const alert = await waitFor(() => hooks('/hook-global').find((q) => json(q).text.content.includes('lag is')), 'the lag alert', { timeoutMs: 30_000 });
    expect(json(alert)).toMatchObject({ msgtype: 'text' });
    expect(json(alert).text.content).toMatch(/lag is \d+ records, over 10 for \d+ s/);
  });

  it('never holds up the data path while a webhook hangs', async () => {
    const topic = unique('hang');
    const sub = await subscribe(topic, '/api-refuse-hang', { alerts: { webhookUrl: `${t.sink.url}/hook-hang`, windowSeconds: 1, cooldownSeconds: 0 } });
    await t.client.produceJson(topic, [{ n: 1 }]);
    await waitFor(() => hooks('/hook-hang').length === 1, 'the alert to reach the hanging webhook');
    const started = Date.now();
    await t.client.produceJson(
      topic,
      Array.from({ length: 50 }, (_, n) => ({ n })),
    );
    await waitFor(async () => (await t.client.committed(sub.kafka.groupId, topic, 1))[0] === 51, 'every record dead-lettered and committed', {
      timeoutMs: 15_000,
    });
    // The webhook has not answered the first alert yet (it takes 20 s), and the records went through.
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(hooks('/hook-hang').every((q) => q.status === undefined)).toBe(true);
  });
});
