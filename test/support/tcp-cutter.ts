import { createServer, Server, Socket, type AddressInfo } from 'node:net';
import { forwardConnection } from '../../scripts/mock-kafka/tcp-forward';

/**
 * A loopback TCP forwarder that can be cut: while cut, open connections are reset and new ones
 * are refused, which is what a client sees of a stopped server. It stands between a proxy and
 * the shared test database, so a scenario can take the database away from one process without
 * stopping the server every other suite (and the scenario's own checks) rely on.
 */
export class TcpCutter {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;

  private constructor(
    private readonly host: string,
    private readonly targetPort: number,
  ) {}

  static async start(host: string, port: number): Promise<TcpCutter> {
    const cutter = new TcpCutter(host, port);
    await cutter.listen(0);
    return cutter;
  }

  /** Resets every connection and refuses new ones until restore(). */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.resetAndDestroy();
    this.sockets.clear();
    if (server) await new Promise((r) => server.close(r));
  }

  restore(): Promise<void> {
    return this.listen(this.port);
  }

  stop(): Promise<void> {
    return this.cut();
  }

  private async listen(port: number): Promise<void> {
    const server = createServer((client) => forwardConnection(client, this.host, this.targetPort, this.sockets));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }
}
