import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { AppConfig } from '../config/app.config';
import type { EndpointSpec } from '../model/delivery-spec';
import { endpointSpec } from './endpoint-spec.fixture';
import { DeliveryTarget } from './delivery-target';
import { MAX_RESPONSE_BODY_BYTES } from './attempt-handler';
import { HttpSender } from './http-sender.service';
import { OutboundGuard } from './outbound-guard';

const config = AppConfig.fromEnv({ DATABASE_URL: 'mysql://u:p@127.0.0.1/k', SECRETS_KEY: 'q2k9cS3yq1mJxq0zv8w1bQ2m0f8H3Jm3lC3mV4X7Qm8=' });

/** A real local endpoint whose answer each test sets. */
describe('HttpSender (against a real local server)', () => {
  let server: Server;
  let base: string;
  let answer: (req: IncomingMessage, res: ServerResponse, body: string) => void;
  let sender: HttpSender;
  const seen: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: string }> = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        answer(req, res, body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });

  beforeEach(() => {
    seen.length = 0;
    sender = new HttpSender(new OutboundGuard(config));
  });

  afterEach(() => sender.onApplicationShutdown());

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const target = (over: Partial<EndpointSpec> = {}) => new DeliveryTarget(endpointSpec(`${base}/hook?x=1`, { timeoutMs: 2000, ...over }));

  it('sends method, path, headers and body as given; a 2xx without a body rule reads no body', async () => {
    answer = (_q, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"errcode":0}');
    const res = await sender.send(target(), '{"a":1}', ['content-type', 'application/json', 'x-kafka-offset', '42']);
    expect(res).toEqual({ status: 200, body: undefined });
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/hook?x=1', body: '{"a":1}' });
    expect(seen[0].headers['x-kafka-offset']).toBe('42');
  });

  it('keeps the body when the success rule reads it, and on a refused status with its Retry-After', async () => {
    answer = (_q, res) => res.writeHead(200).end('{"errcode":7}');
    expect(await sender.send(target({ errcodePath: '$.errcode' }), Buffer.from('{}'), [])).toEqual({ status: 200, body: '{"errcode":7}' });
    answer = (_q, res) => res.writeHead(503, { 'retry-after': '3' }).end('busy');
    expect(await sender.send(target(), '{}', [])).toEqual({ status: 503, body: 'busy', retryAfterMs: 3000 });
    // A success status never reads Retry-After.
    answer = (_q, res) => res.writeHead(200, { 'retry-after': '3' }).end();
    expect(await sender.send(target(), '{}', [])).toEqual({ status: 200, body: undefined });
  });

  it(`keeps at most ${MAX_RESPONSE_BODY_BYTES} bytes of a huge refusal and still reports its status`, async () => {
    answer = (_q, res) => {
      res.writeHead(500);
      const chunk = 'x'.repeat(16 * 1024);
      // 4 MiB: the sender must stop reading long before the end.
      let left = 256;
      const more = () => {
        while (left-- > 0) if (!res.write(chunk)) return void res.once('drain', more);
        res.end();
      };
      more();
    };
    const res = await sender.send(target(), '{}', []);
    expect(res.status).toBe(500);
    expect(res.body!.length).toBe(MAX_RESPONSE_BODY_BYTES);
  });

  it('settles a 2xx at its headers when no rule reads the body, and cuts off a body that never ends', async () => {
    let cutOff!: () => void;
    const closed = new Promise<void>((r) => (cutOff = r));
    answer = (_q, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      // A stream that never ends, written as fast as the socket takes it.
      const more = () => {
        while (!res.destroyed) if (!res.write('data: '.padEnd(1024, 'x') + '\n\n')) return void res.once('drain', more);
      };
      res.on('close', () => cutOff());
      more();
    };
    const res = await sender.send(target({ timeoutMs: 60_000 }), '{}', []);
    expect(res).toEqual({ status: 200, body: undefined });
    await closed; // the sender stopped reading at the bound: the server saw the connection go
  });

  it('reports a timeout with the configured milliseconds', async () => {
    answer = () => undefined; // never answers
    const res = await sender.send(target({ timeoutMs: 200 }), '{}', []);
    expect(res.status).toBe(0);
    expect(res.error).toBe(`timed out after 200 ms waiting for ${base}`);
  });

  it('reports a refused connection as never reaching the endpoint', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
    const res = await sender.send(new DeliveryTarget(endpointSpec(`http://127.0.0.1:${port}/`, { timeoutMs: 2000 })), '{}', []);
    expect(res).toMatchObject({ status: 0, connectFailed: true });
    expect(res.error).toContain('ECONNREFUSED');
  });

  it('a cancel settles every request waiting on the signal at once, sent or still queued', async () => {
    answer = () => undefined; // never answers
    const controller = new AbortController();
    const t = target({ timeoutMs: 60_000 });
    const pending = Array.from({ length: 300 }, () => sender.send(t, '{}', [], controller.signal));
    await new Promise((r) => setTimeout(r, 100));
    controller.abort();
    const results = await Promise.all(pending);
    expect(results.every((r) => r.status === 0 && r.error!.startsWith('cancelled'))).toBe(true);
    // Already cancelled: settles without a request.
    expect((await sender.send(t, '{}', [], controller.signal)).error).toMatch(/^cancelled/);
  });
});
