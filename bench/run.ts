/*
 * npm run bench: everything measured side by side in one run, on the same broker and sink: a
 * real Apache Kafka (a local single KRaft node started here, or KAFKA_BROKERS).
 * Needs DATABASE_URL (scripts/bench.sh provides a local MariaDB) and the built proxy.
 */
import { KafkaConsumer, KafkaJS, type Message } from '@confluentinc/kafka-javascript';
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Pool } from 'undici';
import { LocalKafkaCluster } from '../scripts/kafka/kafka-cluster';
import { connectAdmin, createTopic } from '../scripts/kafka/kafka-topics';
import { costPerRecord } from './cost';
import { PeersSection } from './peers';
import { runLists } from './lists';
import { localBrokerPid, runScale } from './scale';

const ROOT = join(__dirname, '..', '..');
const env = process.env;
const N_FAST = Number(env.BENCH_RECORDS ?? 20_000);
const N_SLOW = Number(env.BENCH_SLOW_RECORDS ?? 10_000);
const N_NAIVE_SLOW = Number(env.BENCH_NAIVE_SLOW_RECORDS ?? 800);
const N_REPLAY = Number(env.BENCH_REPLAY_RECORDS ?? 1_000_000);
const REPLAY_RATE = Number(env.BENCH_REPLAY_RATE ?? 5_000);
const N_DEGRADING = Number(env.BENCH_DEGRADING_RECORDS ?? 4_000);
// BENCH_ONLY=modes,slow,batch,adaptive,cost,peers,replay,many runs a subset (ceilings and naive baselines always run).
const ONLY = env.BENCH_ONLY ? new Set(env.BENCH_ONLY.split(',')) : null;
export const wants = (section: string) => !ONLY || ONLY.has(section);
// BENCH_PROXY_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the proxy processes.
const PROXY_NODE_ARGS = env.BENCH_PROXY_NODE_ARGS ? env.BENCH_PROXY_NODE_ARGS.split(' ') : [];
const CONCURRENCY = 64;
export const KEYS = 1000;

export interface Row {
  name: string;
  records: number;
  rate: number;
  p50?: number;
  p99?: number;
  rssMb?: number;
  /** CPU seconds (user + system) of the delivering process per 10k records: stable on a noisy machine where wall time is not. */
  cpuPer10k?: number;
  note?: string;
}

export const cpuPer10k = (cpuSeconds: number, records: number) => (records > 0 ? (cpuSeconds / records) * 10_000 : undefined);
/** This process's CPU seconds so far (the naive baselines run in it). */
const ownCpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

export const rows: Row[] = [];
export const say = (m: string) => process.stderr.write(`[bench] ${m}\n`);

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

export class Sink {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  static async start(delayMs: number, loadKnee = 0): Promise<Sink> {
    const child = spawn(process.execPath, [join(__dirname, 'sink-process.js')], {
      env: { ...env, DELAY_MS: String(delayMs), PORT: '0', LOAD_KNEE: String(loadKnee) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
    return new Sink(child, `http://127.0.0.1:${line.split(' ')[1]}`);
  }

  async stats(): Promise<{ count: number; first: number; last: number; p50: number; p99: number }> {
    return (await fetch(`${this.url}/stats`)).json() as never;
  }

  async reset(): Promise<void> {
    await fetch(`${this.url}/reset`, { method: 'POST' });
  }

  async waitFor(count: number, timeoutMs = 600_000): Promise<{ count: number; first: number; last: number; p50: number; p99: number }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = ((await (await fetch(`${this.url}/count`)).json()) as { count: number }).count;
      if (got >= count) return this.stats();
      if (Date.now() > deadline) throw new Error(`sink got ${got} of ${count} records in time`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  stop(): void {
    this.child.kill();
  }
}

/** The broker every row runs on: the local node this run started, or the cluster KAFKA_BROKERS names. */
export class BenchKafka {
  private constructor(
    readonly bootstrap: string,
    private readonly admin: KafkaJS.Admin,
    private readonly local: LocalKafkaCluster | null,
  ) {}

  static async start(): Promise<BenchKafka> {
    const local = env.KAFKA_BROKERS
      ? null
      : await LocalKafkaCluster.start({ dir: join(ROOT, '.run', 'bench-kafka'), nodes: 1, heap: '1g', fastStartup: false });
    const bootstrap = env.KAFKA_BROKERS ?? local!.bootstrap;
    return new BenchKafka(bootstrap, await connectAdmin(bootstrap), local);
  }

  createTopic(name: string, partitions: number): Promise<void> {
    return createTopic(this.admin, name, partitions);
  }

  async stop(): Promise<void> {
    await this.admin.disconnect();
    await this.local?.stop();
  }
}

export async function produce(kafka: BenchKafka, topic: string, partitions: number, n: number, create = true): Promise<void> {
  if (create) await kafka.createTopic(topic, partitions);
  const producer = new KafkaJS.Kafka({ kafkaJS: { brokers: [kafka.bootstrap], logLevel: KafkaJS.logLevel.NOTHING } }).producer({
    'linger.ms': 20,
    'batch.num.messages': 10000,
    'queue.buffering.max.messages': 1_000_000,
  } as never);
  await producer.connect();
  const chunk = 5000;
  for (let i = 0; i < n; i += chunk) {
    const messages = [];
    for (let j = i; j < Math.min(n, i + chunk); j++) {
      const k = j % KEYS;
      messages.push({ key: `key-${k}`, value: `{"ts":${Date.now()},"i":${j},"k":"key-${k}","pad":"abcdefghijklmnop"}`, partition: j % partitions });
    }
    await producer.send({ topic, messages });
  }
  await producer.disconnect();
}

function consumer(kafka: BenchKafka, group: string): Promise<KafkaConsumer> {
  const c = new KafkaConsumer(
    { 'metadata.broker.list': kafka.bootstrap, 'group.id': group, 'enable.auto.commit': false, log_level: 0 },
    { 'auto.offset.reset': 'earliest' },
  );
  return new Promise((resolve, reject) => c.connect({}, (err) => (err ? reject(err) : resolve(c))));
}

/** Records the broker holds for a topic: high minus low watermark, summed over partitions. */
async function storedRecords(kafka: BenchKafka, topic: string, partitions: number): Promise<number> {
  const c = await consumer(kafka, `bench-watermarks-${topic}`);
  let total = 0;
  for (let partition = 0; partition < partitions; partition++) {
    total += await new Promise<number>((resolve, reject) =>
      c.queryWatermarkOffsets(topic, partition, 5000, (err, o) => (err ? reject(err) : resolve(o.highOffset - o.lowOffset))),
    );
  }
  c.disconnect();
  return total;
}

const consumeBatch = (c: KafkaConsumer, n: number) =>
  new Promise<Message[]>((resolve, reject) => c.consume(n, (err, msgs) => (err ? reject(err) : resolve(msgs))));

async function consumeCeiling(kafka: BenchKafka, topic: string, partitions: number, n: number): Promise<Row> {
  const c = await consumer(kafka, `bench-consume-${topic}`);
  c.assign(Array.from({ length: partitions }, (_, partition) => ({ topic, partition, offset: 0 })));
  c.setDefaultConsumeTimeout(100);
  let got = 0;
  const started = performance.now();
  while (got < n) got += (await consumeBatch(c, 1000)).length;
  const secs = (performance.now() - started) / 1000;
  c.disconnect();
  return { name: 'ceiling: consume only (no HTTP)', records: got, rate: got / secs };
}

async function httpCeiling(sink: Sink, n: number): Promise<Row> {
  const url = new URL(sink.url);
  const pool = new Pool(url.origin, { connections: CONCURRENCY, pipelining: 1 });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) {
        const i = next++;
        const res = await pool.request({
          path: '/http',
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: `{"ts":${Date.now()},"i":${i}}`,
        });
        await res.body.dump();
      }
    }),
  );
  const secs = (performance.now() - started) / 1000;
  await pool.close();
  const s = await sink.stats();
  return { name: `ceiling: HTTP only (undici, ${CONCURRENCY} concurrent)`, records: n, rate: n / secs, p50: s.p50, p99: s.p99 };
}

/** The consumer a team writes by hand: per partition, await the POST, then commit, one by one. */
async function naive(kafka: BenchKafka, sink: Sink, topic: string, partitions: number, n: number, label: string): Promise<Row> {
  await sink.reset();
  const c = await consumer(kafka, `bench-naive-${topic}`);
  c.assign(Array.from({ length: partitions }, (_, partition) => ({ topic, partition, offset: 0 })));
  c.setDefaultConsumeTimeout(100);
  const pool = new Pool(new URL(sink.url).origin, { connections: partitions });
  const queues: Message[][] = Array.from({ length: partitions }, () => []);
  let fetched = 0;
  let done = 0;
  const started = performance.now();
  const cpu0 = ownCpuSeconds();
  const fetcher = (async () => {
    while (fetched < n) {
      for (const m of await consumeBatch(c, 500)) {
        if (fetched >= n) break;
        queues[m.partition].push(m);
        fetched++;
      }
    }
  })();
  await Promise.all(
    queues.map(async (q) => {
      while (done < n) {
        const m = q.shift();
        if (!m) {
          await new Promise((r) => setTimeout(r, 1));
          continue;
        }
        const res = await pool.request({ path: '/naive', method: 'POST', headers: { 'content-type': 'application/json' }, body: m.value! });
        await res.body.dump();
        c.commitSync({ topic: m.topic, partition: m.partition, offset: m.offset + 1 });
        done++;
      }
    }),
  );
  await fetcher;
  const secs = (performance.now() - started) / 1000;
  const cpu = ownCpuSeconds() - cpu0;
  const s = await sink.stats();
  c.disconnect();
  await pool.close();
  return { name: label, records: done, rate: done / secs, p50: s.p50, p99: s.p99, cpuPer10k: cpuPer10k(cpu, done) };
}

export class Proxy {
  private peakRssKb = 0;
  private timer: NodeJS.Timeout | null = null;
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  /** root: the checkout whose build runs (another one measures a base build side by side). */
  static async start(extraEnv: Record<string, string> = {}, nodeArgs: string[] = PROXY_NODE_ARGS, root = ROOT): Promise<Proxy> {
    const port = await freePort();
    const child = spawn(process.execPath, [...nodeArgs, join(root, 'dist', 'src', 'main.js')], {
      env: {
        ...env,
        ADMIN_TOKEN: '',
        SECRETS_KEY: env.SECRETS_KEY || randomBytes(32).toString('base64'),
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        INSTANCE_ID: `bench-${port}`,
        ...extraEnv,
      },
      // BENCH_PROXY_LOG=<file> keeps the proxies' JSON logs.
      stdio: ['ignore', env.BENCH_PROXY_LOG ? openSync(env.BENCH_PROXY_LOG, 'a') : 'ignore', 'inherit'],
    });
    const proxy = new Proxy(child, `http://127.0.0.1:${port}`);
    for (let i = 0; i < 300; i++) {
      try {
        if ((await fetch(`${proxy.url}/health/ready`)).ok) break;
      } catch {
        // starting
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    proxy.timer = setInterval(() => (proxy.peakRssKb = Math.max(proxy.peakRssKb, proxy.rssKb())), 100);
    return proxy;
  }

  get pid(): number {
    return this.child.pid!;
  }

  rssKb(): number {
    try {
      return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${this.child.pid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      return 0;
    }
  }

  /** CPU seconds (user + system) used so far. */
  cpuSeconds(): number {
    const fields = readFileSync(`/proc/${this.child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  }

  /**
   * CPU seconds (user + system) so far per thread kind, from /proc/<pid>/task: `js` (the main
   * thread: JavaScript, GC's main-thread part, the native binding's callbacks), `librdkafka`
   * (rdk:* threads), `workers` (libuv's pool and V8's background GC/compiler threads),
   * `profiler` (V8's sampling thread under --cpu-prof).
   */
  threadCpuSeconds(): Record<string, number> {
    const out: Record<string, number> = {};
    const pid = this.child.pid!;
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      return out;
    }
    for (const tid of tasks) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const secs = (Number(fields[11]) + Number(fields[12])) / 100;
        // Node 20 names its libuv pool and V8 platform threads alike ("node"); the profiler's
        // sampling thread (--cpu-prof) is measurement, not kproxy, and is kept apart.
        const kind = Number(tid) === pid ? 'js' : comm.startsWith('rdk:') ? 'librdkafka' : comm === 'v8:ProfEvntProc' ? 'profiler' : 'workers';
        out[kind] = (out[kind] ?? 0) + secs;
      } catch {
        // the thread ended
      }
    }
    return out;
  }

  resetPeak(): void {
    this.peakRssKb = this.rssKb();
  }

  get peakRssMb(): number {
    return Math.round(this.peakRssKb / 1024);
  }

  async subscribe(body: Record<string, unknown>): Promise<number> {
    const res = await fetch(`${this.url}/api/subscriptions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (res.status !== 201) throw new Error(`subscription refused: ${await res.text()}`);
    return ((await res.json()) as { id: number }).id;
  }

  async stopSubscription(id: number): Promise<void> {
    await fetch(`${this.url}/api/subscriptions/${id}`, { method: 'DELETE' });
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await exited;
  }
}

export async function viaProxy(
  proxy: Proxy,
  kafka: BenchKafka,
  sink: Sink,
  topic: string,
  n: number,
  label: string,
  delivery: Record<string, unknown>,
): Promise<Row> {
  await sink.reset();
  proxy.resetPeak();
  const cpu0 = proxy.cpuSeconds();
  const id = await proxy.subscribe({
    name: `bench-${topic}-${Object.values(delivery).join('-')}`.slice(0, 120),
    kafka: { brokers: kafka.bootstrap, topic, startFrom: 'earliest' },
    endpoint: { url: `${sink.url}/kproxy`, timeoutMs: 10_000 },
    delivery: { maxRetries: 3, ...delivery },
    status: 'running',
  });
  const s = await sink.waitFor(n);
  // From the first delivery to the last: excludes the group join, as the naive run does.
  const secs = Math.max(0.001, (s.last - s.first) / 1000);
  const cpu = proxy.cpuSeconds() - cpu0;
  await proxy.stopSubscription(id);
  return { name: label, records: s.count, rate: s.count / secs, p50: s.p50, p99: s.p99, rssMb: proxy.peakRssMb, cpuPer10k: cpuPer10k(cpu, s.count) };
}

async function main(): Promise<void> {
  if (!env.DATABASE_URL) throw new Error('DATABASE_URL is required (scripts/bench.sh sets up a local MariaDB)');
  // BENCH_ONLY=lists: the admin lists at platform sizes (bench/lists.ts) alone; it needs no broker.
  if (ONLY?.has('lists')) return runLists();
  const kafka = await BenchKafka.start();
  say(`Apache Kafka at ${kafka.bootstrap}${env.KAFKA_BROKERS ? ' (KAFKA_BROKERS)' : ' (a local single node started for this run)'}`);
  // BENCH_ONLY=scale: the scale section (bench/scale.ts) alone, never in a full run: its instances and 1,000 topics would weigh on every other row.
  if (ONLY?.has('scale'))
    return void (await runScale(kafka.bootstrap, env.KAFKA_BROKERS ? null : localBrokerPid(join(ROOT, '.run', 'bench-kafka'))).finally(() => kafka.stop()));
  const fast = await Sink.start(0);
  const slow = await Sink.start(20);
  const stamp = Date.now().toString(36);
  try {
    say(`producing ${N_FAST} records per fast topic, ${N_SLOW} per slow topic (4 partitions, ${KEYS} keys)`);
    const topics = {
      ceiling: `ceil-${stamp}`,
      naive: `naive-${stamp}`,
      naiveSlow: `naive-slow-${stamp}`,
      partition: `part-${stamp}`,
      key: `key-${stamp}`,
      unordered: `unord-${stamp}`,
      partitionSlow: `part-slow-${stamp}`,
      keySlow: `key-slow-${stamp}`,
      unorderedSlow: `unord-slow-${stamp}`,
      batch: `batch-${stamp}`,
      batchSlow: `batch-slow-${stamp}`,
      degradingFixed: `degr-fixed-${stamp}`,
      degradingAdaptive: `degr-adapt-${stamp}`,
    };
    for (const t of [topics.ceiling, topics.naive, topics.partition, topics.key, topics.unordered, topics.batch]) await produce(kafka, t, 4, N_FAST);
    for (const t of [topics.partitionSlow, topics.keySlow, topics.unorderedSlow, topics.batchSlow]) await produce(kafka, t, 4, N_SLOW);
    if (wants('adaptive')) for (const t of [topics.degradingFixed, topics.degradingAdaptive]) await produce(kafka, t, 4, N_DEGRADING);
    await produce(kafka, topics.naiveSlow, 4, N_NAIVE_SLOW);

    say('ceilings');
    const consumeRow = await consumeCeiling(kafka, topics.ceiling, 4, N_FAST);
    rows.push(consumeRow);
    const httpRow = await httpCeiling(fast, N_FAST);
    rows.push(httpRow);
    say('naive baselines');
    const naiveFast = await naive(kafka, fast, topics.naive, 4, N_FAST, 'naive: await POST then commit, sink 0 ms');
    rows.push(naiveFast);
    const naiveSlow = await naive(kafka, slow, topics.naiveSlow, 4, N_NAIVE_SLOW, 'naive: await POST then commit, sink 20 ms');
    rows.push(naiveSlow);

    if (wants('cost')) await costPerRecord(kafka, stamp);

    const proxy = await Proxy.start();
    try {
      for (const mode of wants('modes') ? (['partition', 'key', 'unordered'] as const) : []) {
        say(`kproxy ${mode}, sink 0 ms`);
        const topic = mode === 'partition' ? topics.partition : mode === 'key' ? topics.key : topics.unordered;
        rows.push({
          ...(await viaProxy(proxy, kafka, fast, topic, N_FAST, `kproxy ${mode}, sink 0 ms`, { ordering: mode, maxInFlight: CONCURRENCY })),
          note: 'fast',
        });
      }
      for (const mode of wants('slow') ? (['partition', 'key', 'unordered'] as const) : []) {
        say(`kproxy ${mode}, sink 20 ms`);
        const topic = mode === 'partition' ? topics.partitionSlow : mode === 'key' ? topics.keySlow : topics.unorderedSlow;
        rows.push({ ...(await viaProxy(proxy, kafka, slow, topic, N_SLOW, `kproxy ${mode}, sink 20 ms`, { ordering: mode, maxInFlight: 512 })), note: 'slow' });
      }
      if (wants('batch')) {
        say('kproxy batches of 50');
        const batch = { batchSize: 50, batchWaitMs: 20, maxInFlight: 16 };
        rows.push({
          ...(await viaProxy(proxy, kafka, fast, topics.batch, N_FAST, 'kproxy unordered, batches of 50, sink 0 ms', { ordering: 'unordered', ...batch })),
          note: 'fast',
        });
        rows.push({
          ...(await viaProxy(proxy, kafka, slow, topics.batchSlow, N_SLOW, 'kproxy key, batches of 50, sink 20 ms', { ordering: 'key', ...batch })),
          note: 'slow',
        });
      }
      if (wants('adaptive')) {
        // 10 ms alone, 20 ms at 8 requests at once, 650 ms at 64: more in flight only queues.
        const degrading = await Sink.start(10, 8);
        try {
          say('kproxy against a sink that degrades with load, maxInFlight 64 fixed and adaptive');
          const fixed = { ordering: 'unordered', maxInFlight: 64, adaptiveConcurrency: false };
          rows.push({
            ...(await viaProxy(proxy, kafka, degrading, topics.degradingFixed, N_DEGRADING, 'kproxy unordered, degrading sink, 64 fixed', fixed)),
            note: 'degrading',
          });
          const adaptive = { ordering: 'unordered', maxInFlight: 64, adaptiveConcurrency: true };
          rows.push({
            ...(await viaProxy(proxy, kafka, degrading, topics.degradingAdaptive, N_DEGRADING, 'kproxy unordered, degrading sink, 64 adaptive', adaptive)),
            note: 'degrading',
          });
        } finally {
          degrading.stop();
        }
      }
    } finally {
      await proxy.stop();
    }

    let peersSummary = '';
    if (wants('peers')) {
      const peerProxy = await Proxy.start();
      try {
        const section = await new PeersSection({
          bootstrap: kafka.bootstrap,
          kproxyPid: peerProxy.pid,
          sinks: [
            { delayMs: 0, sink: fast },
            { delayMs: 20, sink: slow },
          ],
          stamp,
          say,
          produce: (t, p, n) => produce(kafka, t, p, n),
          kproxy: (delayMs, t, n, label, delivery) => viaProxy(peerProxy, kafka, delayMs > 0 ? slow : fast, t, n, label, delivery),
        }).run();
        rows.push(...section.rows);
        peersSummary = section.summary;
      } finally {
        await peerProxy.stop();
      }
    }
    if (wants('replay')) await replay(kafka, fast, stamp);
    if (wants('many')) await manySubscriptions(kafka, fast, stamp);

    print(rows, consumeRow.rate, httpRow.rate, naiveFast.rate, naiveSlow.rate);
    if (peersSummary) process.stdout.write(`${peersSummary}\n`);
  } finally {
    fast.stop();
    slow.stop();
    await kafka.stop();
  }
}

async function replay(kafka: BenchKafka, fast: Sink, stamp: string): Promise<void> {
  // A real broker keeps the whole backlog (the mock dropped records beyond ~100k per partition
  // and needed 40 partitions here); the check below still proves every record stayed.
  const partitions = 4;
  say(`replay of ${N_REPLAY} records (${partitions} partitions), unlimited and at ${REPLAY_RATE}/s`);
  const replayTopic = `replay-${stamp}`;
  await produce(kafka, replayTopic, partitions, N_REPLAY);
  const kept = await storedRecords(kafka, replayTopic, partitions);
  if (kept !== N_REPLAY) throw new Error(`the broker kept ${kept} of the ${N_REPLAY} records produced; use fewer records or more partitions`);
  const replayProxy = await Proxy.start();
  try {
    rows.push({
      ...(await viaProxy(replayProxy, kafka, fast, replayTopic, N_REPLAY, `replay ${N_REPLAY} records, unlimited`, {
        ordering: 'unordered',
        maxInFlight: CONCURRENCY,
      })),
      note: 'replay',
    });
    await fast.reset();
    replayProxy.resetPeak();
    const id = await replayProxy.subscribe({
      name: `bench-replay-rated-${stamp}`,
      kafka: { brokers: kafka.bootstrap, topic: replayTopic, startFrom: 'earliest' },
      endpoint: { url: `${fast.url}/rated` },
      delivery: { ordering: 'unordered', maxInFlight: CONCURRENCY, ratePerSec: REPLAY_RATE },
      status: 'running',
    });
    await fast.waitFor(REPLAY_RATE);
    const a = await fast.stats();
    await new Promise((r) => setTimeout(r, 10_000));
    const b = await fast.stats();
    const measured = (b.count - a.count) / 10;
    rows.push({
      name: `replay at ratePerSec ${REPLAY_RATE}, 10 s window`,
      records: b.count - a.count,
      rate: measured,
      rssMb: replayProxy.peakRssMb,
      note: `rate ${((measured / REPLAY_RATE - 1) * 100).toFixed(1)} % off target`,
    });
    await replayProxy.stopSubscription(id);
  } finally {
    await replayProxy.stop();
  }
}

async function manySubscriptions(kafka: BenchKafka, fast: Sink, stamp: string): Promise<void> {
  say('100 subscriptions in one process');
  const many = await Proxy.start();
  try {
    const manyTopics: string[] = [];
    for (let i = 0; i < 100; i++) {
      const topic = `many-${stamp}-${i}`;
      await kafka.createTopic(topic, 1);
      manyTopics.push(topic);
      await many.subscribe({
        name: `bench-many-${stamp}-${i}`,
        kafka: { brokers: kafka.bootstrap, topic, startFrom: 'earliest' },
        endpoint: { url: `${fast.url}/many` },
        delivery: { ordering: 'partition', maxInFlight: 4 },
        status: 'running',
      });
    }
    await new Promise((r) => setTimeout(r, 5000));
    many.resetPeak();
    const cpu0 = many.cpuSeconds();
    await new Promise((r) => setTimeout(r, 10_000));
    const idleCpu = ((many.cpuSeconds() - cpu0) / 10) * 100;
    rows.push({ name: '100 subscriptions, idle (10 s)', records: 0, rate: 0, rssMb: many.peakRssMb, note: `CPU ${idleCpu.toFixed(1)} % of one core` });
    await fast.reset();
    const per = 200;
    // Read before producing: on a real broker the deliveries run while the topics are still being fed.
    const cpu1 = many.cpuSeconds();
    for (const topic of manyTopics) await produce(kafka, topic, 1, per, false);
    const s = await fast.waitFor(100 * per);
    const loadSecs = Math.max(0.001, (s.last - s.first) / 1000);
    const loadCpuSeconds = many.cpuSeconds() - cpu1;
    const loadCpu = (loadCpuSeconds / loadSecs) * 100;
    rows.push({
      name: `100 subscriptions, under load (${per} records each)`,
      records: s.count,
      rate: s.count / loadSecs,
      p50: s.p50,
      p99: s.p99,
      rssMb: many.peakRssMb,
      cpuPer10k: cpuPer10k(loadCpuSeconds, s.count),
      note: `CPU ${loadCpu.toFixed(0)} % of one core`,
    });
  } finally {
    await many.stop();
  }
}

function print(all: Row[], consumeCeiling: number, httpCeiling: number, naiveFast: number, naiveSlow: number): void {
  const ceiling = Math.min(consumeCeiling, httpCeiling);
  const fmt = (v: number | undefined, d = 0) => (v === undefined ? '' : v.toFixed(d));
  const lines = [
    `| scenario | records | msgs/s | p50 ms | p99 ms | CPU s / 10k | peak RSS MB | × naive | % of min(ceilings) | note |`,
    `|---|---:|---:|---:|---:|---:|---:|---:|---:|---|`,
  ];
  for (const r of all) {
    const naive = r.note === 'slow' || r.name.includes('20 ms') ? naiveSlow : naiveFast;
    const ratio = r.rate > 0 && !r.name.startsWith('ceiling') ? (r.rate / naive).toFixed(1) : '';
    const pct = r.rate > 0 && !r.name.startsWith('ceiling') ? ((r.rate / ceiling) * 100).toFixed(0) : '';
    const note = r.note && !['fast', 'slow', 'replay'].includes(r.note) ? r.note : '';
    lines.push(
      `| ${r.name} | ${r.records} | ${fmt(r.rate)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.cpuPer10k, 2)} | ${fmt(r.rssMb)} | ${ratio} | ${pct} | ${note} |`,
    );
  }
  process.stdout.write(lines.join('\n') + '\n');
  process.stdout.write(`\nmin(ceilings) = ${ceiling.toFixed(0)} msgs/s; naive 0 ms = ${naiveFast.toFixed(0)}, naive 20 ms = ${naiveSlow.toFixed(0)} msgs/s\n`);
  process.stdout.write(`latency is produce time to receipt; backlogs are produced before each run, so it includes queueing behind them\n`);
  const fixed = all.find((r) => r.name.endsWith('degrading sink, 64 fixed'));
  const adaptive = all.find((r) => r.name.endsWith('degrading sink, 64 adaptive'));
  if (fixed && adaptive) {
    process.stdout.write(
      `adaptive in-flight limit against the degrading sink: ${(adaptive.rate / fixed.rate).toFixed(2)}× the msgs/s of 64 fixed, p99 ${fmt(adaptive.p99)} ms against ${fmt(fixed.p99)} ms\n`,
    );
  }
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`bench failed: ${(err as Error).stack}\n`);
    process.exit(1);
  });
}
