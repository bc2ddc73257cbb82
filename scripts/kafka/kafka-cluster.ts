import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { packageRoot } from '../../src/config/app-version';

/** One KRaft node of a {@link LocalKafkaCluster}: broker and controller in one JVM. */
export interface KafkaNode {
  id: number;
  /** PLAINTEXT listener clients use, on 127.0.0.1. */
  port: number;
  /** CONTROLLER listener of the KRaft quorum, on 127.0.0.1. */
  controllerPort: number;
  /** Ports of the extra listeners ({@link LocalKafkaOptions.listeners}), by listener name. */
  listenerPorts: Record<string, number>;
  dir: string;
}

/** A SCRAM credential stored in the cluster metadata when the storage is formatted. */
export interface ScramUser {
  mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
  name: string;
  password: string;
}

export interface LocalKafkaOptions {
  /** Folder for the nodes' storage, configs, logs and pid files; emptied by {@link LocalKafkaCluster.start}. */
  dir: string;
  /** Number of combined broker+controller nodes (1 for most suites, 3 for failover). Default 1. */
  nodes?: number;
  /** Client ports, one per node; default: free loopback ports. */
  ports?: number[];
  /** Extra or overriding broker properties for every node. */
  properties?: Record<string, string | number>;
  /** JVM heap per node (default 512m: three nodes and the suites share a 2-core machine). */
  heap?: string;
  /**
   * Extra listeners beside PLAINTEXT, by name (e.g. `{ SASL_PLAINTEXT: 'SASL_PLAINTEXT', SSL: 'SSL' }`),
   * each on a free loopback port; their settings (`listener.name.<name>.*`) go in `properties`.
   */
  listeners?: Record<string, 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL'>;
  /** SCRAM credentials to create at format time (KRaft keeps them in the metadata log). */
  scramUsers?: ScramUser[];
  /**
   * Start the JVMs with the C1 compiler only (default true): a node is up seconds sooner on 2
   * cores, at some cost in broker throughput. The benchmark turns it off.
   */
  fastStartup?: boolean;
  /** Kill the nodes when this process exits (default true; the command-line launcher leaves them running). */
  stopOnExit?: boolean;
}

// The sources' folder, also when this runs compiled from dist/scripts/kafka.
const KAFKA_DIR = join(packageRoot() ?? '.', 'scripts', 'kafka');

/**
 * A real Apache Kafka (KRaft) on loopback, run from the jars pinned in scripts/kafka/pom.xml:
 * one node for development and most suites, or three (replication factor 3,
 * `min.insync.replicas` 2) for failover scenarios. Each node is its own JVM in its own process
 * group, logging to `<dir>/node-<id>/broker.log`, so tests can stop, `kill -9`, freeze
 * (SIGSTOP) and restart single brokers. The state lives in `dir` (pid files included), so a
 * separate process can stop what another started ({@link LocalKafkaCluster.stopDir}).
 *
 * Test-friendly settings, and why (everything else is Kafka's default):
 * - `group.initial.rebalance.delay.ms=0`: the first join of a group is not held 3 s waiting for
 *   more members (Kafka's docs recommend 0 for tests);
 * - `group.min.session.timeout.ms=1000` and `group.consumer.min.session.timeout.ms` /
 *   `group.consumer.min.heartbeat.interval.ms` lowered, with `group.consumer.session.timeout.ms`
 *   10 s: suites use session timeouts of a few seconds so a killed consumer's partitions move in
 *   seconds under both group protocols (classic and KIP-848);
 * - `offsets.topic.num.partitions=10`, `transaction.state.log.num.partitions=10`: the internal
 *   topics are created on first use; 10 partitions instead of 50 make that quick on 2 cores;
 * - `num.partitions=4`: an auto-created topic gets 4 partitions, as on the mock broker before;
 * - `log.flush`, retention and segment sizes are Kafka's defaults.
 */
export class LocalKafkaCluster {
  readonly nodes: KafkaNode[];
  private readonly heap: string;

  private constructor(
    readonly dir: string,
    nodes: KafkaNode[],
    private readonly properties: Record<string, string | number>,
    heap: string | undefined,
    private readonly listeners: Record<string, string>,
    private readonly fastStartup: boolean,
  ) {
    this.nodes = nodes;
    this.heap = heap ?? '512m';
  }

  /** `host:port,...` of every node. */
  get bootstrap(): string {
    return this.nodes.map((n) => `127.0.0.1:${n.port}`).join(',');
  }

  /** `host:port,...` of every node's extra listener `name`. */
  listenerBootstrap(name: string): string {
    return this.nodes.map((n) => `127.0.0.1:${n.listenerPorts[name]}`).join(',');
  }

  /**
   * Formats fresh storage (in place of whatever `dir` held) and starts every node; resolves once all of them are registered
   * brokers (a client's metadata lists them). Throws naming the node and its log when a node
   * exits or is not up within 60 s.
   */
  static async start(options: LocalKafkaOptions): Promise<LocalKafkaCluster> {
    const count = options.nodes ?? 1;
    const extra = Object.keys(options.listeners ?? {});
    // One batch, every port held open until all are chosen: ports chosen one at a time can repeat.
    const free = await freePorts(count * (1 + extra.length) + (options.ports ? 0 : count));
    const ports = options.ports ?? free.splice(0, count);
    const controllerPorts = free.splice(0, count);
    const listenerPorts = Array.from({ length: count }, () => Object.fromEntries(extra.map((name) => [name, free.shift()!] as const)));
    // A cluster an earlier run left behind in the same folder (a crashed demo) is stopped first.
    await LocalKafkaCluster.stopDir(options.dir).catch(() => undefined);
    rmSync(options.dir, { recursive: true, force: true });
    const nodes = ports.map((port, i) => ({
      id: i + 1,
      port,
      controllerPort: controllerPorts[i],
      listenerPorts: listenerPorts[i],
      dir: join(options.dir, `node-${i + 1}`),
    }));
    const cluster = new LocalKafkaCluster(options.dir, nodes, options.properties ?? {}, options.heap, options.listeners ?? {}, options.fastStartup ?? true);
    // Jest interrupted, a demo that crashed: the JVMs live in their own process groups and would
    // otherwise outlive this process with 512 MB each.
    if (options.stopOnExit ?? true) process.once('exit', () => cluster.killAllNow());
    for (const p of ports) await assertPortFree(p);
    cluster.format(options.scramUsers ?? []);
    for (const node of nodes) cluster.launch(node);
    await cluster.waitUntilUp(
      nodes.map((n) => n.id),
      60_000,
    );
    return cluster;
  }

  /** Stops every node a cluster started in `dir` (pid files), e.g. from another process. */
  static async stopDir(dir: string): Promise<void> {
    if (!existsSync(join(dir, 'nodes.json'))) return;
    const nodes = JSON.parse(readFileSync(join(dir, 'nodes.json'), 'utf8')) as KafkaNode[];
    await Promise.all(nodes.map((n) => stopPid(readPid(n.dir), 30_000)));
  }

  private get classpath(): string {
    const jars = execFileSync('bash', [join(KAFKA_DIR, 'kafka-jars.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
    return `${jars}/*`;
  }

  private format(scramUsers: ScramUser[]): void {
    const cp = this.classpath;
    const clusterId = execFileSync('java', ['-cp', cp, 'kafka.tools.StorageTool', 'random-uuid'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(join(this.dir, 'nodes.json'), JSON.stringify(this.nodes));
    for (const node of this.nodes) {
      mkdirSync(node.dir, { recursive: true });
      writeFileSync(join(node.dir, 'server.properties'), this.serverProperties(node));
      const scram = scramUsers.flatMap((u) => ['--add-scram', `${u.mechanism}=[name=${u.name},password=${u.password}]`]);
      execFileSync('java', ['-cp', cp, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', join(node.dir, 'server.properties'), ...scram], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
    }
  }

  private serverProperties(node: KafkaNode): string {
    const n = this.nodes.length;
    const extra = Object.entries(this.listeners);
    const replication = Math.min(3, n);
    const props: Record<string, string | number> = {
      'process.roles': 'broker,controller',
      'node.id': node.id,
      'controller.quorum.voters': this.nodes.map((x) => `${x.id}@127.0.0.1:${x.controllerPort}`).join(','),
      listeners: [
        `PLAINTEXT://127.0.0.1:${node.port}`,
        `CONTROLLER://127.0.0.1:${node.controllerPort}`,
        ...extra.map(([name]) => `${name}://127.0.0.1:${node.listenerPorts[name]}`),
      ].join(','),
      'advertised.listeners': [`PLAINTEXT://127.0.0.1:${node.port}`, ...extra.map(([name]) => `${name}://127.0.0.1:${node.listenerPorts[name]}`)].join(','),
      'controller.listener.names': 'CONTROLLER',
      'inter.broker.listener.name': 'PLAINTEXT',
      'listener.security.protocol.map': ['PLAINTEXT:PLAINTEXT', 'CONTROLLER:PLAINTEXT', ...extra.map(([name, protocol]) => `${name}:${protocol}`)].join(','),
      'log.dirs': join(node.dir, 'data'),
      'num.partitions': 4,
      'default.replication.factor': replication,
      'min.insync.replicas': n >= 3 ? 2 : 1,
      'offsets.topic.replication.factor': replication,
      'offsets.topic.num.partitions': 10,
      'transaction.state.log.replication.factor': replication,
      'transaction.state.log.min.isr': n >= 3 ? 2 : 1,
      'transaction.state.log.num.partitions': 10,
      'share.coordinator.state.topic.replication.factor': replication,
      'share.coordinator.state.topic.min.isr': n >= 3 ? 2 : 1,
      'group.initial.rebalance.delay.ms': 0,
      'group.min.session.timeout.ms': 1000,
      'group.consumer.min.session.timeout.ms': 3000,
      'group.consumer.session.timeout.ms': 10000,
      'group.consumer.min.heartbeat.interval.ms': 500,
      'group.consumer.heartbeat.interval.ms': 1000,
      // A killed node's partitions get new leaders quickly; shutdown does not wait long for them.
      'controlled.shutdown.enable': 'true',
      ...this.properties,
    };
    return (
      Object.entries(props)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n') + '\n'
    );
  }

  private launch(node: KafkaNode): void {
    const log = openSync(join(node.dir, 'broker.log'), 'a');
    const child = spawn(
      'java',
      [
        `-Xmx${this.heap}`,
        `-Xms${this.heap}`,
        '-XX:+UseG1GC',
        ...(this.fastStartup ? ['-XX:TieredStopAtLevel=1'] : []),
        '-Djava.awt.headless=true',
        `-Dlog4j2.configurationFile=${join(KAFKA_DIR, 'log4j2.properties')}`,
        '-cp',
        this.classpath,
        'kafka.Kafka',
        join(node.dir, 'server.properties'),
      ],
      // Own process group: a terminal's Ctrl-C reaches the launcher, which stops nodes in order.
      { stdio: ['ignore', log, log], detached: true },
    );
    closeSync(log);
    child.unref();
    writeFileSync(join(node.dir, 'pid'), String(child.pid));
  }

  node(id: number): KafkaNode {
    const node = this.nodes.find((n) => n.id === id);
    if (!node) throw new Error(`no Kafka node ${id} (nodes: ${this.nodes.map((n) => n.id).join(', ')})`);
    return node;
  }

  /** Clean stop of one node (SIGTERM: controlled shutdown hands its leaderships over first). */
  stopNode(id: number): Promise<void> {
    return stopPid(readPid(this.node(id).dir), 60_000);
  }

  /** `kill -9` of one node: no controlled shutdown, its leaderships move after the controller notices. */
  async killNode(id: number): Promise<void> {
    await stopPid(readPid(this.node(id).dir), 10_000, 'SIGKILL');
  }

  /** Freezes a node (SIGSTOP): its sockets stay open but nothing answers. */
  pauseNode(id: number): void {
    process.kill(readPid(this.node(id).dir)!, 'SIGSTOP');
  }

  /** Thaws a node frozen by {@link pauseNode}. */
  resumeNode(id: number): void {
    process.kill(readPid(this.node(id).dir)!, 'SIGCONT');
  }

  /** Starts a stopped or killed node again on its storage; resolves once it is a registered broker. */
  async restartNode(id: number): Promise<void> {
    const node = this.node(id);
    if (isAlive(readPid(node.dir))) throw new Error(`Kafka node ${id} is still running`);
    this.launch(node);
    await this.waitUntilUp([id], 60_000);
  }

  /** Whether a node's process is running (a frozen one counts). */
  isRunning(id: number): boolean {
    return isAlive(readPid(this.node(id).dir));
  }

  /** SIGKILL to every node, synchronously (for process exit). */
  killAllNow(): void {
    this.signalAll('SIGKILL');
  }

  /**
   * Stops every node: a clean stop, then SIGKILL after 10 s (nodes stopped together can lose the
   * KRaft quorum mid-way, and a controlled shutdown then waits for a controller that is gone).
   */
  async stop(): Promise<void> {
    // A frozen node must run again to hear the SIGTERM.
    this.signalAll('SIGCONT');
    await Promise.all(this.nodes.map((n) => stopPid(readPid(n.dir), 10_000)));
  }

  private signalAll(signal: NodeJS.Signals): void {
    for (const n of this.nodes) {
      const pid = readPid(n.dir);
      if (!pid) continue;
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
  }

  /** Resolves once each node in `ids` listens and answers a metadata request that lists it. */
  async waitUntilUp(ids: number[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const id of ids) {
      const node = this.node(id);
      for (;;) {
        if (!isAlive(readPid(node.dir))) {
          throw new Error(`Kafka node ${id} exited during start-up; see ${join(node.dir, 'broker.log')}`);
        }
        if (await brokerRegistered(node, id)) break;
        if (Date.now() > deadline) throw new Error(`Kafka node ${id} was not up within ${timeoutMs} ms; see ${join(node.dir, 'broker.log')}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }
}

/** A running broker answers ApiVersions and lists itself in Metadata; the port alone says too little. */
async function brokerRegistered(node: KafkaNode, id: number): Promise<boolean> {
  if (!(await canConnect(node.port))) return false;
  const { Producer } = await import('@confluentinc/kafka-javascript');
  const client = new Producer({ 'metadata.broker.list': `127.0.0.1:${node.port}`, log_level: 0, 'socket.connection.setup.timeout.ms': 2000 });
  try {
    const metadata = await new Promise<{ brokers: Array<{ id: number }> }>((resolve, reject) =>
      client.connect({ timeout: 3000, allTopics: false }, (err, md) => (err ? reject(err) : resolve(md))),
    );
    return metadata.brokers.some((b) => b.id === id);
  } catch {
    return false;
  } finally {
    await new Promise<void>((resolve) => client.disconnect(() => resolve()));
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function assertPortFree(port: number): Promise<void> {
  if (await canConnect(port)) {
    throw new Error(`port ${port} on 127.0.0.1 is already in use (another Kafka?): stop it, or set KAFKA_BROKERS to use it`);
  }
}

/** `n` distinct free loopback ports: each is held open until all are chosen, then released. */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Server>((resolve, reject) => {
          const srv = createServer();
          srv.once('error', reject);
          srv.listen(0, '127.0.0.1', () => resolve(srv));
        }),
    ),
  );
  const ports = servers.map((srv) => (srv.address() as { port: number }).port);
  await Promise.all(servers.map((srv) => new Promise((resolve) => srv.close(resolve))));
  return ports;
}

/**
 * The node's pid from its pid file, if that process is still this node's JVM: after a reboot or
 * a pid wrap the number may belong to an unrelated process, which must never be signalled.
 */
function readPid(dir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dir, 'pid'), 'utf8'));
  } catch {
    return undefined;
  }
  if (!pid) return undefined;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('kafka.Kafka') && cmdline.includes(join(dir, 'server.properties')) ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A killed child that its parent has not reaped yet is a zombie: gone for every purpose here.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Signals a process and waits for it to exit, escalating to SIGKILL after `timeoutMs`. */
async function stopPid(pid: number | undefined, timeoutMs: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!pid || !isAlive(pid)) return;
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        return;
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
