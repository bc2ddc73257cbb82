import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createServer, Server, Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { forwardConnection } from './tcp-forward';

export interface MockKafkaOptions {
  /** Path of the compiled harness (scripts/build-mock-kafka.sh prints it). */
  binary: string;
  brokers?: number;
  /** Serve broker 1 on this fixed loopback port (e.g. 9092) through a forwarder. */
  port?: number;
}

/**
 * librdkafka's mock cluster in a child process: real Kafka protocol on loopback TCP, with
 * topics of chosen partition counts, broker outages and request-error injection.
 */
export class MockKafkaCluster {
  bootstrap = '';
  private child: ChildProcessWithoutNullStreams | null = null;
  private replies: Array<(line: string) => void> = [];
  private forwarder: Server | null = null;
  private readonly sockets = new Set<Socket>();

  static async start(options: MockKafkaOptions): Promise<MockKafkaCluster> {
    const cluster = new MockKafkaCluster();
    await cluster.launch(options);
    return cluster;
  }

  private async launch(options: MockKafkaOptions): Promise<void> {
    // Own process group, so a terminal's Ctrl-C does not take the broker away before its clients
    // have stopped; it still exits when its stdin (this process) goes away.
    const child = spawn(options.binary, [String(options.brokers ?? 1)], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.child = child;
    child.stderr.on('data', () => undefined);
    const lines = createInterface({ input: child.stdout });
    const first = new Promise<string>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`mock-kafka exited with code ${code} before it was ready`)));
      lines.once('line', resolve);
    });
    const line = await first;
    lines.on('line', (l) => this.replies.shift()?.(l));
    child.removeAllListeners('exit');
    this.bootstrap = line.replace(/^bootstrap /, '').trim();
    if (options.port !== undefined) await this.forward(options.port);
  }

  /** Listens on a fixed port and advertises it, so clients can use a well-known address. */
  private async forward(port: number): Promise<void> {
    const [host, target] = this.bootstrap.split(',')[0].split(':');
    this.forwarder = createServer((client) => forwardConnection(client, host, Number(target), this.sockets));
    await new Promise<void>((resolve, reject) => {
      this.forwarder!.once('error', reject);
      this.forwarder!.listen(port, '127.0.0.1', () => resolve());
    });
    await this.command(`advertise 1 127.0.0.1 ${port}`);
    this.bootstrap = `127.0.0.1:${port}`;
  }

  async command(line: string): Promise<void> {
    const child = this.child;
    if (!child) throw new Error('mock-kafka is not running');
    const reply = new Promise<string>((resolve) => this.replies.push(resolve));
    child.stdin.write(line + '\n');
    const answer = await reply;
    if (answer !== 'ok') throw new Error(`mock-kafka "${line}": ${answer}`);
  }

  createTopic(name: string, partitions: number): Promise<void> {
    return this.command(`topic ${name} ${partitions}`);
  }

  brokerDown(id = 1): Promise<void> {
    return this.command(`down ${id}`);
  }

  brokerUp(id = 1): Promise<void> {
    return this.command(`up ${id}`);
  }

  /** Fails the next requests of one API (Kafka ApiKey number) with the given error codes. */
  failRequests(apiKey: number, ...errorCodes: number[]): Promise<void> {
    return this.command(`errors ${apiKey} ${errorCodes.join(' ')}`);
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.forwarder?.close();
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.stdin.end('quit\n');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }
}
