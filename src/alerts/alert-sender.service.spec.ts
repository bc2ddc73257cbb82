import { createServer, type Server } from 'node:http';
import { AppConfig } from '../config/app.config';
import { JsonLogger } from '../common/logging/json.logger';
import { OutboundGuard } from '../delivery/outbound-guard';
import type { Alert } from './alert-message';
import { AlertSender } from './alert-sender.service';

const alert: Alert = {
  kind: 'dead_letters',
  subscription: { id: 7, name: 'orders', topic: 'orders-topic' },
  instance: 'i-1',
  at: '2026-11-21T10:00:00.000Z',
  summary: '3 record(s) dead-lettered',
  details: { count: 3 },
};

function sender(allowed?: string): { sender: AlertSender; warnings: Array<[string, Record<string, unknown>]> } {
  const config = AppConfig.fromEnv({
    DATABASE_URL: 'mysql://u:p@127.0.0.1/k',
    SECRETS_KEY: 'q2k9cS3yq1mJxq0zv8w1bQ2m0f8H3Jm3lC3mV4X7Qm8=',
    ...(allowed ? { ENDPOINT_ALLOWED_HOSTS: allowed } : {}),
  });
  const logger = new JsonLogger('error');
  const warnings: Array<[string, Record<string, unknown>]> = [];
  jest
    .spyOn(logger, 'warn')
    .mockImplementation((msg: unknown, fields?: unknown) => void warnings.push([String(msg), (fields ?? {}) as Record<string, unknown>]));
  return { sender: new AlertSender(logger, new OutboundGuard(config)), warnings };
}

async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('AlertSender', () => {
  let server: Server;
  let port = 0;
  const received: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      received.push(req.url ?? '');
      req.resume();
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it('refuses a webhook on a metadata address at once, without sending or retrying', async () => {
    const { sender: s, warnings } = sender();
    s.enqueue('http://168.63.129.16/hook/T0/secret', 'json', alert);
    s.enqueue('http://[64:ff9b::a9fe:a9fe]/hook', 'slack', alert);
    await until(() => warnings.length === 2, 'both refusals');
    expect(warnings.map(([msg]) => msg)).toEqual([
      'alert webhook refused by the outbound guard; alert dropped',
      'alert webhook refused by the outbound guard; alert dropped',
    ]);
    expect(warnings[0][1]).toMatchObject({
      subscription: 7,
      webhook: 'http://168.63.129.16',
      err: expect.stringMatching(/168\.63\.129\.16 is a link-local or cloud metadata address/),
    });
    expect(JSON.stringify(warnings)).not.toContain('secret');
    expect(warnings[1][1].err).toMatch(/169\.254\.169\.254/);
    await s.onApplicationShutdown();
  });

  it('refuses a webhook off ENDPOINT_ALLOWED_HOSTS, and sends to one on it', async () => {
    const { sender: off, warnings } = sender('hooks.example');
    off.enqueue(`http://127.0.0.1:${port}/off-list`, 'json', alert);
    await until(() => warnings.length === 1, 'the refusal');
    expect(warnings[0][1].err).toBe('127.0.0.1 is not in ENDPOINT_ALLOWED_HOSTS');
    await off.onApplicationShutdown();
    const { sender: on } = sender('localhost');
    on.enqueue(`http://localhost:${port}/on-list`, 'json', alert);
    await until(() => received.includes('/on-list'), 'the delivered alert');
    expect(received).not.toContain('/off-list');
    await on.onApplicationShutdown();
  });
});
