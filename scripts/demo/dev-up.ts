/*
 * The newcomer's demo: a local Apache Kafka (unless KAFKA_BROKERS is given; KPROXY_DEMO_BROKER=mock
 * takes librdkafka's mock cluster instead), a demo business API that
 * logs what it receives, the proxy, a demo subscription and a producer feeding sample orders.
 * Ctrl-C stops everything. Started by scripts/dev-up.sh after it installed and migrated.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, Server } from 'node:http';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LocalKafkaCluster } from '../kafka/kafka-cluster';
import { connectAdmin, createTopic } from '../kafka/kafka-topics';
import { MockKafkaCluster } from '../mock-kafka/mock-kafka-cluster';
import { ensureDemoSubscription, startOrderFeed, waitReady } from './demo-feed';

const ROOT = join(__dirname, '..', '..', '..');
const env = process.env;
const PORT = Number(env.PORT ?? 8080);
const DEMO_API_PORT = Number(env.DEMO_API_PORT ?? 18080);
const TOPIC = env.DEMO_TOPIC ?? 'demo.orders';
const KAFKA_PORT = Number(env.KAFKA_PORT ?? 9092);
const TOKEN = env.ADMIN_TOKEN || randomBytes(18).toString('base64url');

/** The demo keeps its generated key, so secrets sealed in an earlier run still open. */
function demoSecretsKey(): string {
  if (env.SECRETS_KEY) return env.SECRETS_KEY;
  const file = join(ROOT, '.run', 'secrets.key');
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600 });
    say(`generated the secrets key (SECRETS_KEY) in ${file}`);
  }
  return readFileSync(file, 'utf8').trim();
}

const say = (msg: string) => process.stdout.write(`\x1b[36m[demo]\x1b[0m ${msg}\n`);

async function main(): Promise<void> {
  const cleanups: Array<() => Promise<void> | void> = [];
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('stopping…');
    for (const c of cleanups.reverse()) await c();
    say('stopped cleanly');
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  try {
    let brokers = env.KAFKA_BROKERS ?? '';
    if (!brokers && env.KPROXY_DEMO_BROKER === 'mock') {
      // The faster option (no JVM): librdkafka's mock cluster, for a quick look only.
      const kafka = await MockKafkaCluster.start({ binary: join(ROOT, '.run', 'mock-kafka'), port: KAFKA_PORT });
      await kafka.createTopic(TOPIC, 4);
      cleanups.push(() => kafka.stop());
      brokers = kafka.bootstrap;
      say(`librdkafka's mock Kafka cluster on ${brokers} (KPROXY_DEMO_BROKER=mock), topic ${TOPIC} with 4 partitions`);
    } else if (!brokers) {
      say(`starting Apache Kafka ${kafkaVersion()} (KRaft, one node) on 127.0.0.1:${KAFKA_PORT}; logs in .run/kafka/node-1/broker.log`);
      const kafka = await LocalKafkaCluster.start({ dir: join(ROOT, '.run', 'kafka'), nodes: 1, ports: [KAFKA_PORT] });
      cleanups.push(() => kafka.stop());
      brokers = kafka.bootstrap;
      const admin = await connectAdmin(brokers);
      await createTopic(admin, TOPIC, 4).finally(() => admin.disconnect());
      say(`Apache Kafka on ${brokers}, topic ${TOPIC} with 4 partitions`);
    }

    const api = await demoBusinessApi(DEMO_API_PORT);
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          api.closeAllConnections();
          api.close(() => r());
        }),
    );
    say(`demo business API on http://127.0.0.1:${DEMO_API_PORT}/orders (answers {"errcode":0})`);

    const proxy = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'main.js')], {
      env: {
        ...env,
        PORT: String(PORT),
        ADMIN_TOKEN: TOKEN,
        SECRETS_KEY: demoSecretsKey(),
        CONFIG_REFRESH_INTERVAL_MS: env.CONFIG_REFRESH_INTERVAL_MS ?? '5000',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
      // Its own process group: Ctrl-C reaches only this script, which stops the parts in order.
      detached: true,
    });
    process.on('exit', () => proxy.exitCode === null && proxy.kill('SIGKILL'));
    cleanups.push(() => stopChild(proxy));
    proxy.once('exit', (code) => {
      if (!stopping) {
        say(`the proxy exited with code ${code}`);
        void stop(1);
      }
    });
    await waitReady(`http://127.0.0.1:${PORT}/health/ready`);

    const sub = await ensureDemoSubscription({
      api: `http://127.0.0.1:${PORT}`,
      token: TOKEN,
      brokers,
      topic: TOPIC,
      endpoint: `http://127.0.0.1:${DEMO_API_PORT}/orders`,
    });
    say(`demo subscription #${sub.id} "${sub.name}": ${TOPIC} -> filter type=order -> {orderId, customer, total} -> POST /orders`);
    cleanups.push(await startOrderFeed(brokers, TOPIC, (msg) => say(msg)));

    say('');
    say(`admin API:  http://127.0.0.1:${PORT}/api  (token: ${TOKEN})`);
    say(`try:        curl -H "Authorization: Bearer ${TOKEN}" http://127.0.0.1:${PORT}/api/subscriptions`);
    say(`metrics:    http://127.0.0.1:${PORT}/metrics   health: http://127.0.0.1:${PORT}/health/ready`);
    say('one sample order a second (every 4th is a refund, which the filter skips). Ctrl-C stops everything.');
  } catch (err) {
    say(`demo failed: ${(err as Error).message}`);
    await stop(1);
  }
}

/** The Kafka version scripts/kafka/pom.xml pins. */
function kafkaVersion(): string {
  return /<kafka.version>(.*)<\/kafka.version>/.exec(readFileSync(join(ROOT, 'scripts', 'kafka', 'pom.xml'), 'utf8'))?.[1] ?? '';
}

async function demoBusinessApi(port: number): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      process.stdout.write(
        `\x1b[32m[business-api]\x1b[0m ${req.method} ${req.url} partition=${req.headers['x-kafka-partition']} offset=${req.headers['x-kafka-offset']} key=${req.headers['x-kafka-key'] ?? '-'} body=${Buffer.concat(chunks).toString()}\n`,
      );
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"errcode":0}');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return server;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

void main();
