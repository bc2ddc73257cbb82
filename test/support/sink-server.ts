import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  at: number;
  /** The status answered; absent while the answer is pending, 0 when the connection was reset. */
  status?: number;
}

export interface SinkReply {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Delay before answering, in ms. */
  delayMs?: number;
  /** Reset the connection instead of answering. */
  reset?: boolean;
}

export type Responder = (req: ReceivedRequest, attempt: number) => SinkReply | Promise<SinkReply>;

/** A real local HTTP server standing in for the business API, with programmable answers. */
export class SinkServer {
  readonly requests: ReceivedRequest[] = [];
  private attemptsByKey = new Map<string, number>();
  private server: Server | null = null;
  private responder: Responder = () => ({ status: 200, body: { errcode: 0 } });

  static async start(responder?: Responder): Promise<SinkServer> {
    const sink = new SinkServer();
    if (responder) sink.respond(responder);
    await sink.listen();
    return sink;
  }

  url = '';

  respond(responder: Responder): void {
    this.responder = responder;
  }

  /** Requests per Idempotency-Key: how many times each record arrived. */
  attempts(key: string): number {
    return this.attemptsByKey.get(key) ?? 0;
  }

  bodies(): unknown[] {
    return this.requests.map((r) => JSON.parse(r.body));
  }

  private async listen(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const received: ReceivedRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
      at: Date.now(),
    };
    const key = String(req.headers['idempotency-key'] ?? '');
    const attempt = (this.attemptsByKey.get(key) ?? 0) + 1;
    this.attemptsByKey.set(key, attempt);
    this.requests.push(received);
    const reply = await this.responder(received, attempt);
    if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
    if (reply.reset) {
      received.status = 0;
      req.socket.resetAndDestroy();
      return;
    }
    received.status = reply.status ?? 200;
    const body = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
    res.end(body);
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}
