/*
 * The scale section (`BENCH_ONLY=scale npm run bench`, issue 18): a platform's worth of
 * subscriptions over several proxy instances on one machine, sharing one database and one real
 * broker. For 10, 100 and 1,000 subscriptions (one single-partition topic each), first idle,
 * then with 10 % of them busy at a steady produce rate, it reports per instance the RSS, the
 * CPU share of a core, the thread count and the Kafka clients it holds; the time a newly created
 * subscription takes to deliver its first record; and the time until every subscription whose
 * partition an instance killed with SIGKILL owned delivers again elsewhere.
 *
 * Sizes grow in place (10, then 90 more, then 900 more), so the figures show how cost grows with
 * what one cluster runs. Every wait has a deadline and fails naming what did not happen.
 *
 * Settings (environment): BENCH_SCALE_SIZES (default 10,100,1000), BENCH_SCALE_INSTANCES (3),
 * BENCH_SCALE_BUSY_RATE (records/s per busy subscription, 10), BENCH_SCALE_WINDOW_S (seconds
 * per measuring window, 15), BENCH_SCALE_DEADLINE_S (the whole section, 900). The proxies run
 * with the default settings (placement: SUBSCRIPTION_REPLICAS instances per subscription).
 *
 * Run alone (a local broker is started): `DATABASE_URL=... npm run migrate && node dist/bench/scale.js`.
 */
import { KafkaJS, Producer } from '@confluentinc/kafka-javascript';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { LocalKafkaCluster } from '../scripts/kafka/kafka-cluster';
import { connectAdmin } from '../scripts/kafka/kafka-topics';

const ROOT = join(__dirname, '..', '..');
const env = process.env;

/** How the scale section is sized; every figure comes from the environment, with the defaults above. */
export interface ScaleSettings {
  sizes: number[];
  instances: number;
  /** Records per second produced to each busy subscription's topic. */
  busyRate: number;
  windowMs: number;
  deadlineMs: number;
  /** Subscriptions created at once through the admin API. */
  createConcurrency: number;
}

export function scaleSettings(): ScaleSettings {
  const num = (name: string, fallback: number, min: number, max: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const v = Number(raw);
    if (!Number.isInteger(v) || v < min || v > max) throw new Error(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
    return v;
  };
  const sizes = (env.BENCH_SCALE_SIZES ?? '10,100,1000').split(',').map((s) => Number(s.trim()));
  if (sizes.some((s, i) => !Number.isInteger(s) || s < 1 || s > 5000 || (i > 0 && s <= sizes[i - 1]))) {
    throw new Error(`BENCH_SCALE_SIZES must be increasing integers from 1 to 5000, got "${env.BENCH_SCALE_SIZES}"`);
  }
  return {
    sizes,
    instances: num('BENCH_SCALE_INSTANCES', 3, 2, 8),
    busyRate: num('BENCH_SCALE_BUSY_RATE', 10, 1, 1000),
    windowMs: num('BENCH_SCALE_WINDOW_S', 15, 3, 300) * 1000,
    deadlineMs: num('BENCH_SCALE_DEADLINE_S', 900, 60, 7200) * 1000,
    createConcurrency: 8,
  };
}

const say = (m: string) => process.stderr.write(`[bench scale] ${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Thrown when the section runs past BENCH_SCALE_DEADLINE_S or one of its waits past its own. */
class DeadlineError extends Error {}

class Clock {
  private readonly end: number;
  constructor(totalMs: number) {
    this.end = Date.now() + totalMs;
  }

  /** Waits until `done()` holds, polling every `everyMs`; throws naming `what` past `ms` or the section's deadline. */
  async until(what: string, ms: number, done: () => boolean | Promise<boolean>, everyMs = 200): Promise<number> {
    const started = Date.now();
    const deadline = Math.min(started + ms, this.end);
    for (;;) {
      if (await done()) return Date.now() - started;
      if (Date.now() > deadline) {
        const whose = deadline === this.end ? "the scale section's deadline (BENCH_SCALE_DEADLINE_S)" : `${Math.round(ms / 1000)} s`;
        throw new DeadlineError(`${what}: not done within ${whose}`);
      }
      await sleep(everyMs);
    }
  }

  check(what: string): void {
    if (Date.now() > this.end) throw new DeadlineError(`${what}: the scale section ran past its deadline (BENCH_SCALE_DEADLINE_S)`);
  }
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** What /proc says of a process: RSS (kB), threads, CPU seconds of its live threads, and those by thread kind. */
interface ProcSample {
  rssKb: number;
  threads: number;
  cpu: number;
  byKind: Record<string, number>;
}

/**
 * The JS thread, librdkafka's (rdk:main, rdk:broker*), and the rest: libuv's pool (consume()
 * calls, DNS, file I/O) and V8's workers (GC, compiler) are all named "node".
 */
function threadKind(comm: string, tid: number, pid: number): string {
  if (tid === pid) return 'js main';
  if (comm.startsWith('rdk:main')) return 'rdk main';
  if (comm.startsWith('rdk:broker')) return 'rdk broker';
  if (comm.startsWith('rdk:')) return 'rdk other';
  return 'node pool+V8';
}

/** A thread's time on a CPU (s) from schedstat: exact, where /proc stat's ticks miss short runs. */
function threadCpuSeconds(pid: number, tid: string): number {
  return Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e9;
}

function sampleProc(pid: number): ProcSample | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const byKind: Record<string, number> = {};
    let cpu = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
        const kind = threadKind(comm, Number(tid), pid);
        const secs = threadCpuSeconds(pid, tid);
        byKind[kind] = (byKind[kind] ?? 0) + secs;
        cpu += secs;
      } catch {
        // the thread ended meanwhile
      }
    }
    return {
      rssKb: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0),
      threads: Number(/Threads:\s+(\d+)/.exec(status)?.[1] ?? 0),
      cpu,
      byKind,
    };
  } catch {
    return null;
  }
}

interface Snapshot {
  subscriptionId: number;
  state: string;
  partitions: number[];
}

interface InstanceView {
  instanceId: string;
  live: boolean;
  running: Snapshot[];
}

/** One proxy instance (dist/src/main.js) sharing the database with the others. */
class Instance {
  child: ChildProcess | null = null;
  url = '';

  constructor(
    readonly id: string,
    private readonly secretsKey: string,
  ) {}

  get pid(): number {
    return this.child?.pid ?? 0;
  }

  async start(clock: Clock): Promise<void> {
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    const log = openSync(join(ROOT, '.run', `scale-${this.id}.log`), 'a');
    this.child = spawn(process.execPath, [...(env.BENCH_PROXY_NODE_ARGS ? env.BENCH_PROXY_NODE_ARGS.split(' ') : []), join(ROOT, 'dist', 'src', 'main.js')], {
      env: {
        ...env,
        ADMIN_TOKEN: '',
        SECRETS_KEY: this.secretsKey,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: env.BENCH_PROXY_LOG_LEVEL ?? 'warn',
        INSTANCE_ID: this.id,
      },
      stdio: ['ignore', log, log],
    });
    const child = this.child;
    let exited = false;
    child.once('exit', () => (exited = true));
    await clock.until(`instance ${this.id} ready (log: .run/scale-${this.id}.log)`, 60_000, async () => {
      if (exited) throw new Error(`instance ${this.id} exited while starting (log: .run/scale-${this.id}.log)`);
      try {
        return (await fetch(`${this.url}/health/ready`)).ok;
      } catch {
        return false;
      }
    });
  }

  async instances(): Promise<InstanceView[]> {
    const res = await fetch(`${this.url}/api/instances`);
    if (!res.ok) throw new Error(`GET /api/instances on ${this.id}: ${res.status} ${await res.text()}`);
    return (await res.json()) as InstanceView[];
  }

  async subscribe(body: Record<string, unknown>): Promise<number> {
    // The answer waits for the instance's reconcile: one that never ends must fail the run, not hang it.
    const res = await fetch(`${this.url}/api/subscriptions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    }).catch((err: Error) => {
      throw new DeadlineError(`POST /api/subscriptions on ${this.id}: ${err.name === 'TimeoutError' ? 'no answer within 60 s' : err.message}`);
    });
    if (res.status !== 201) throw new Error(`subscription refused by ${this.id}: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { id: number }).id;
  }

  kill(): void {
    this.child?.kill('SIGKILL');
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * The business API for this section, in the bench process: it only records, per subscription
 * (the path /s/<index>), when records arrive and how old they are (receipt − the produce time
 * "ts" each body carries). The proxies are separate processes, so it shares no event loop with
 * what is measured.
 */
class ScaleSink {
  private server: Server | null = null;
  url = '';
  /** Per subscription index: receipt time (ms) of the first record produced at or after its mark. */
  private readonly marks = new Map<number, { since: number; at: number }>();
  private readonly seen = new Set<number>();
  private latencies: number[] = [];
  private window = false;
  count = 0;

  async start(): Promise<void> {
    this.server = createHttpServer((req, res) => {
      const idx = Number(/^\/s\/(\d+)/.exec(req.url ?? '')?.[1] ?? -1);
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const now = Date.now();
        const ts = Number(/"ts":(\d+)/.exec(body)?.[1] ?? 0);
        this.count++;
        this.seen.add(idx);
        const mark = this.marks.get(idx);
        if (mark && mark.at === 0 && ts >= mark.since) mark.at = now;
        if (this.window && ts) this.latencies.push(now - ts);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"errcode":0}');
      });
    });
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  hasSeen(idx: number): boolean {
    return this.seen.has(idx);
  }

  /** From now on, remember when each of `subs` first receives a record produced at or after `since`. */
  mark(subs: number[], since: number): void {
    for (const s of subs) this.marks.set(s, { since, at: 0 });
  }

  /** Receipt times of the marked records, or null while one of them has not arrived. */
  marked(subs: number[]): number[] | null {
    const out: number[] = [];
    for (const s of subs) {
      const m = this.marks.get(s);
      if (!m || m.at === 0) return null;
      out.push(m.at);
    }
    return out;
  }

  missing(subs: number[]): number[] {
    return subs.filter((s) => !this.marks.get(s)?.at);
  }

  openWindow(): void {
    this.latencies = [];
    this.window = true;
  }

  closeWindow(): { p50: number; p99: number; n: number } {
    this.window = false;
    const sorted = this.latencies.sort((a, b) => a - b);
    const at = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : 0);
    return { p50: at(0.5), p99: at(0.99), n: sorted.length };
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }
}

/**
 * librdkafka's own producer: one record per topic, then a flush with a deadline. (The KafkaJS
 * layer's sendBatch to 500 topics created moments before never resolved in one run, with no
 * error and no deadline.)
 */
class RecordProducer {
  private constructor(private readonly producer: Producer) {}

  static async connect(bootstrap: string): Promise<RecordProducer> {
    const producer = new Producer({ 'metadata.broker.list': bootstrap, 'linger.ms': 5, log_level: 0 });
    await new Promise<void>((resolve, reject) => producer.connect({}, (err) => (err ? reject(err) : resolve())));
    producer.setPollInterval(100);
    return new RecordProducer(producer);
  }

  /** @throws Error naming the records and the deadline when librdkafka has not sent them all within `timeoutMs` */
  async send(records: Array<{ topic: string; value: string }>, timeoutMs = 30_000): Promise<void> {
    for (const r of records) this.producer.produce(r.topic, null, Buffer.from(r.value));
    await new Promise<void>((resolve, reject) =>
      this.producer.flush(timeoutMs, (err) =>
        err ? reject(new Error(`producing ${records.length} records: not sent within ${timeoutMs} ms (${err.message})`)) : resolve(),
      ),
    );
  }

  disconnect(): Promise<void> {
    return new Promise((resolve) => this.producer.disconnect(() => resolve()));
  }
}

/** One measuring window's figures. */
interface PhaseRow {
  size: number;
  phase: string;
  perInstance: Array<{ id: string; consumers: number; owned: number; threads: number; rssMb: number; cpuPct: number; byKind: Record<string, number> }>;
  brokerCpuPct: number | null;
  delivered: number;
  rate: number;
  p50: number;
  p99: number;
}

interface TimingRow {
  size: number;
  /** Subscriptions created in this step, and how long the admin API took for them (ms). */
  created: number;
  createMs: number;
  /** From the first POST until each created subscription delivered its first record (ms, max). */
  allDeliveringMs: number;
  /** A subscription created on the settled cluster: POST to its first record at the sink (ms), each sample. */
  newSubMs: number[];
  killed: string;
  /** Subscriptions whose partition the killed instance owned. */
  moved: number;
  /** SIGKILL to the last of them delivering again elsewhere (ms). */
  moveMs: number;
  /** SIGKILL until each subscription the killed instance ran runs on as many live instances again as it can (ms), or null. */
  restoredMs: number | null;
}

/**
 * Runs the scale section against `bootstrap`, with its own proxies, sink and producer; prints
 * its tables to stdout. `brokerPid` (the local broker's JVM), when known, adds its CPU.
 *
 * @throws DeadlineError naming the step that did not finish in time
 */
export async function runScale(bootstrap: string, brokerPid: number | null, settings = scaleSettings()): Promise<void> {
  const clock = new Clock(settings.deadlineMs);
  const startedAt = Date.now();
  const stamp = Date.now().toString(36);
  const secretsKey = env.SECRETS_KEY || randomBytes(32).toString('base64');
  const instances = Array.from({ length: settings.instances }, (_, i) => new Instance(`scale-${stamp}-${i + 1}`, secretsKey));
  const sink = new ScaleSink();
  await sink.start();
  const admin = await connectAdmin(bootstrap);
  const producer = await RecordProducer.connect(bootstrap);
  const phases: PhaseRow[] = [];
  const timings: TimingRow[] = [];
  /** Subscription index → its id and topic. */
  const subs: Array<{ id: number; topic: string }> = [];
  let busyTimer: NodeJS.Timeout | null = null;
  let seq = 0;
  const topicOf = (i: number) => `scale-${stamp}-${i}`;
  const record = (i: number) => `{"ts":${Date.now()},"sub":${i},"seq":${seq++}}`;
  const produceTo = (idx: number[]) => producer.send(idx.map((i) => ({ topic: subs[i]?.topic ?? topicOf(i), value: record(i) })));
  const live = () => instances.filter((x) => x.child && x.child.exitCode === null && x.child.signalCode === null);

  try {
    say(
      `${settings.instances} instances, sizes ${settings.sizes.join(' → ')}, busy: 10 % at ${settings.busyRate} records/s each, windows of ${settings.windowMs / 1000} s`,
    );
    for (const x of instances) await x.start(clock);
    for (const size of settings.sizes) {
      const from = subs.length;
      const indexes = Array.from({ length: size - from }, (_, k) => from + k);
      say(`${size}: creating ${indexes.length} topics and subscriptions`);
      await createTopics(admin, indexes.map(topicOf), clock);
      // Each topic holds one record before its subscription exists: its first delivery says it runs.
      for (let k = 0; k < indexes.length; k += 500) await produceTo(indexes.slice(k, k + 500));
      const createStart = Date.now();
      sink.mark(indexes, 0);
      let next = 0;
      const failures: string[] = [];
      await Promise.all(
        Array.from({ length: settings.createConcurrency }, async () => {
          while (next < indexes.length && failures.length === 0) {
            const i = indexes[next++];
            const via = live()[i % live().length];
            try {
              subs[i] = {
                id: await via.subscribe({
                  name: `scale-${stamp}-${i}`,
                  kafka: { brokers: bootstrap, topic: topicOf(i), startFrom: 'earliest' },
                  endpoint: { url: `${sink.url}/s/${i}`, timeoutMs: 10_000 },
                  delivery: { ordering: 'partition', maxInFlight: 4 },
                  status: 'running',
                }),
                topic: topicOf(i),
              };
            } catch (err) {
              failures.push((err as Error).message);
            }
          }
        }),
      );
      if (failures.length) throw new Error(`creating subscriptions failed: ${failures[0]}`);
      const createMs = Date.now() - createStart;
      say(`${size}: ${indexes.length} created in ${(createMs / 1000).toFixed(1)} s; waiting for each to deliver its first record`);
      // Starting a client costs the machine more the more it already runs: the wait grows with
      // the size (1 s per new subscription, at least 300 s), and progress is printed every 60 s.
      const firstDeliveryMs = Math.max(300_000, indexes.length * 1000);
      const progress = setInterval(
        () =>
          say(
            `${size}: ${indexes.length - sink.missing(indexes).length} of ${indexes.length} delivering after ${((Date.now() - createStart) / 1000).toFixed(0)} s`,
          ),
        60_000,
      );
      await clock
        .until(`each of the ${indexes.length} new subscriptions delivering its first record`, firstDeliveryMs, () => sink.marked(indexes) !== null, 500)
        .catch((err) => {
          const missing = sink.missing(indexes);
          throw new Error(
            `${(err as Error).message}; ${indexes.length - missing.length} of ${indexes.length} delivering; still waiting: ${missing.slice(0, 10).join(', ')}`,
          );
        })
        .finally(() => clearInterval(progress));
      const allDeliveringMs = Math.max(...sink.marked(indexes)!) - createStart;
      const unsettled = await settle(instances, size, clock);
      if (unsettled) say(`${size}: assignment ${unsettled}; measuring anyway`);

      say(`${size}: idle window`);
      phases.push(await measure(size, 'idle', instances, brokerPid, sink, settings.windowMs));

      const busy = Array.from({ length: Math.max(1, Math.round(size / 10)) }, (_, k) => Math.min(size - 1, k * 10));
      say(`${size}: busy window (${busy.length} subscriptions at ${settings.busyRate} records/s each)`);
      const perTick = settings.busyRate / 10;
      let owed = 0;
      busyTimer = setInterval(() => {
        owed += perTick;
        const n = Math.floor(owed);
        owed -= n;
        for (let r = 0; r < n; r++) void produceTo(busy).catch(() => undefined);
      }, 100);
      await sleep(2000);
      phases.push(await measure(size, `${busy.length} busy at ${settings.busyRate}/s`, instances, brokerPid, sink, settings.windowMs));
      clearInterval(busyTimer);
      busyTimer = null;

      say(`${size}: time for a new subscription to deliver`);
      const newSubMs: number[] = [];
      for (let sample = 0; sample < 3; sample++) {
        const i = 100_000 + size * 10 + sample;
        const topic = topicOf(i);
        await createTopics(admin, [topic], clock);
        await producer.send([{ topic, value: record(i) }]);
        sink.mark([i], 0);
        const t0 = Date.now();
        const id = await live()[sample % live().length].subscribe({
          name: `scale-${stamp}-new-${i}`,
          kafka: { brokers: bootstrap, topic, startFrom: 'earliest' },
          endpoint: { url: `${sink.url}/s/${i}`, timeoutMs: 10_000 },
          delivery: { ordering: 'partition', maxInFlight: 4 },
          status: 'running',
        });
        await clock.until(`the new subscription ${id} delivering its first record`, 120_000, () => sink.marked([i]) !== null, 20);
        newSubMs.push(sink.marked([i])![0] - t0);
        // It stays, as one more subscription of the next size would.
      }

      const views = await live()[0].instances();
      const owners = new Map<string, number[]>();
      const runs = new Map<string, number[]>();
      const byId = new Map(subs.map((s, i) => [s.id, i] as const));
      for (const v of views.filter((v) => v.live)) {
        for (const c of v.running) {
          const i = byId.get(c.subscriptionId);
          if (i === undefined || c.state === 'stopped') continue;
          if (!runs.has(v.instanceId)) runs.set(v.instanceId, []);
          runs.get(v.instanceId)!.push(i);
          if (c.partitions.length === 0) continue;
          if (!owners.has(v.instanceId)) owners.set(v.instanceId, []);
          owners.get(v.instanceId)!.push(i);
        }
      }
      const victim = instances.reduce((a, b) => ((owners.get(b.id)?.length ?? 0) > (owners.get(a.id)?.length ?? 0) ? b : a));
      const moved = owners.get(victim.id) ?? [];
      const ran = runs.get(victim.id) ?? [];
      const runnersBefore = new Map<number, number>();
      for (const [, list] of runs) for (const i of list) runnersBefore.set(i, (runnersBefore.get(i) ?? 0) + 1);
      say(`${size}: SIGKILL ${victim.id} (owns ${moved.length} partitions, runs ${ran.length} subscriptions)`);
      const killAt = Date.now();
      victim.kill();
      sink.mark(moved, killAt);
      // One record for each after the kill, and again every second: whichever comes first after the move counts.
      const feeder = setInterval(() => void produceTo(sink.missing(moved)).catch(() => undefined), 1000);
      let moveMs: number;
      try {
        await produceTo(moved);
        await clock
          .until(`the ${moved.length} subscriptions of the killed ${victim.id} delivering again`, 180_000, () => sink.marked(moved) !== null, 200)
          .catch((err) => {
            throw new Error(`${(err as Error).message}; still waiting: ${sink.missing(moved).slice(0, 10).join(', ')}`);
          });
        moveMs = moved.length ? Math.max(...sink.marked(moved)!) - killAt : 0;
      } finally {
        clearInterval(feeder);
      }
      let restoredMs: number | null = null;
      const survivors = live();
      await clock
        .until(
          'every subscription of the killed instance running on as many live instances as it can',
          120_000,
          async () => {
            const now = await survivors[0].instances();
            const count = new Map<number, number>();
            for (const v of now.filter((v) => v.live && v.instanceId !== victim.id)) {
              for (const c of v.running) {
                const i = byId.get(c.subscriptionId);
                if (i !== undefined && c.state === 'running') count.set(i, (count.get(i) ?? 0) + 1);
              }
            }
            return ran.every((i) => (count.get(i) ?? 0) >= Math.min(runnersBefore.get(i) ?? 1, survivors.length));
          },
          500,
        )
        .then(() => (restoredMs = Date.now() - killAt))
        .catch((err) => say(`not restored: ${(err as Error).message}`));
      timings.push({ size, created: indexes.length, createMs, allDeliveringMs, newSubMs, killed: victim.id, moved: moved.length, moveMs, restoredMs });
      say(`${size}: moved in ${(moveMs / 1000).toFixed(1)} s; restarting ${victim.id}`);
      await victim.start(clock);
      clock.check(`size ${size}`);
    }
  } finally {
    if (busyTimer) clearInterval(busyTimer);
    await Promise.all(instances.map((x) => x.stop()));
    await producer.disconnect();
    await admin.disconnect().catch(() => undefined);
    await sink.stop();
    // What was measured before a failure is still worth the table.
    print(phases, timings, settings, Date.now() - startedAt);
  }
}

/** Rejects naming `what` when `promise` has not settled within `ms`: the KafkaJS layer's admin calls have no deadline of their own. */
function within<T>(what: string, ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new DeadlineError(`${what}: no answer within ${ms} ms`)), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/**
 * Creates topics of one partition, 50 per request, and waits until each has a leader. Metadata
 * is asked for 50 topics at a time: one call for 900 fresh topics never answered.
 */
async function createTopics(admin: KafkaJS.Admin, names: string[], clock: Clock): Promise<void> {
  for (let k = 0; k < names.length; k += 50) {
    const chunk = names.slice(k, k + 50);
    await within(`creating topics ${chunk[0]}…`, 60_000, admin.createTopics({ topics: chunk.map((topic) => ({ topic, numPartitions: 1 })) }));
  }
  const want = new Set(names);
  await clock.until(
    `${names.length} topics with a leader`,
    120_000,
    async () => {
      const left = [...want];
      for (let k = 0; k < left.length; k += 50) {
        const md = await within('topic metadata', 10_000, admin.fetchTopicMetadata({ topics: left.slice(k, k + 50) })).catch(() => []);
        for (const t of md) if (t.partitions.length && t.partitions.every((p) => p.leader >= 0)) want.delete(t.name);
      }
      return want.size === 0;
    },
    250,
  );
}

/**
 * Waits until the instances' heartbeats show every subscription's partition owned exactly once
 * and nothing moving for two looks in a row: rebalances after a join or a restart are over.
 */
/**
 * Waits until every subscription's partition is owned by exactly one live instance and the
 * instances' views stay the same for two looks (up to 120 s, or 0.3 s per subscription when more).
 * @returns null when settled; otherwise what was seen last, and the windows are measured anyway
 */
async function settle(instances: Instance[], size: number, clock: Clock): Promise<string | null> {
  let last = '';
  let stable = 0;
  let seen = 'no view yet';
  const timeoutMs = Math.max(120_000, size * 300);
  try {
    await clock.until(
      `the assignment of ${size} subscriptions settling`,
      timeoutMs,
      async () => {
        const viewer = instances.find((x) => x.child && x.child.exitCode === null);
        if (!viewer) throw new Error('no instance is running');
        const ids = new Set(instances.map((x) => x.id));
        const views = (await viewer.instances()).filter((v) => v.live && ids.has(v.instanceId));
        const owned = new Map<number, number>();
        for (const v of views)
          for (const c of v.running) if (c.partitions.length) owned.set(c.subscriptionId, (owned.get(c.subscriptionId) ?? 0) + c.partitions.length);
        const key = JSON.stringify(views.map((v) => v.running.map((c) => `${c.subscriptionId}:${c.state}:${c.partitions.join('.')}`).sort()));
        const twice = [...owned.values()].filter((n) => n > 1).length;
        seen = `${owned.size} of ${size} owned, ${twice} by two instances`;
        const ok = owned.size >= size && twice === 0;
        stable = ok && key === last ? stable + 1 : 0;
        last = key;
        return stable >= 2;
      },
      2500,
    );
    return null;
  } catch (err) {
    if (/no instance is running/.test((err as Error).message)) throw err;
    return `not settled within ${timeoutMs / 1000} s (${seen})`;
  }
}

async function measure(size: number, phase: string, instances: Instance[], brokerPid: number | null, sink: ScaleSink, windowMs: number): Promise<PhaseRow> {
  const viewer = instances[0];
  const views = await viewer.instances();
  const before = instances.map((x) => sampleProc(x.pid));
  const broker0 = brokerPid ? sampleProc(brokerPid) : null;
  const count0 = sink.count;
  sink.openWindow();
  const peak = instances.map(() => 0);
  const started = Date.now();
  while (Date.now() - started < windowMs) {
    await sleep(500);
    instances.forEach((x, k) => (peak[k] = Math.max(peak[k], sampleProc(x.pid)?.rssKb ?? 0)));
  }
  const secs = (Date.now() - started) / 1000;
  const after = instances.map((x) => sampleProc(x.pid));
  const broker1 = brokerPid ? sampleProc(brokerPid) : null;
  const lat = sink.closeWindow();
  const delivered = sink.count - count0;
  return {
    size,
    phase,
    perInstance: instances.map((x, k) => {
      const v = views.find((w) => w.instanceId === x.id);
      const a = before[k];
      const b = after[k];
      const byKind: Record<string, number> = {};
      if (a && b) for (const kind of Object.keys(b.byKind)) byKind[kind] = (((b.byKind[kind] ?? 0) - (a.byKind[kind] ?? 0)) / secs) * 100;
      return {
        id: x.id,
        consumers: v?.running.length ?? 0,
        owned: v?.running.filter((c) => c.partitions.length > 0).length ?? 0,
        threads: b?.threads ?? 0,
        rssMb: Math.round(peak[k] / 1024),
        cpuPct: a && b ? ((b.cpu - a.cpu) / secs) * 100 : NaN,
        byKind,
      };
    }),
    brokerCpuPct: broker0 && broker1 ? ((broker1.cpu - broker0.cpu) / secs) * 100 : null,
    delivered,
    rate: delivered / secs,
    p50: lat.p50,
    p99: lat.p99,
  };
}

function print(phases: PhaseRow[], timings: TimingRow[], settings: ScaleSettings, tookMs: number): void {
  const f = (v: number, d = 0) => (Number.isFinite(v) ? v.toFixed(d) : '');
  const out: string[] = [];
  out.push(
    `| subscriptions | phase | Kafka clients per instance | threads per instance | RSS MB per instance | CPU % of a core per instance | CPU % total | broker CPU % | delivered msgs/s | p50 / p99 ms |`,
  );
  out.push('|---:|---|---|---|---|---|---:|---:|---:|---|');
  for (const p of phases) {
    const per = (g: (x: PhaseRow['perInstance'][number]) => string) => p.perInstance.map(g).join(' / ');
    const total = p.perInstance.reduce((s, x) => s + x.cpuPct, 0);
    out.push(
      `| ${p.size} | ${p.phase} | ${per((x) => String(x.consumers))} | ${per((x) => String(x.threads))} | ${per((x) => String(x.rssMb))} | ${per((x) => f(x.cpuPct, 1))} | ${f(total, 1)} | ${p.brokerCpuPct === null ? '' : f(p.brokerCpuPct, 1)} | ${f(p.rate, 0)} | ${p.delivered ? `${p.p50} / ${p.p99}` : ''} |`,
    );
  }
  out.push('');
  out.push('Where the CPU goes (% of a core, summed over the instances):');
  out.push('');
  const kinds = [...new Set(phases.flatMap((p) => p.perInstance.flatMap((x) => Object.keys(x.byKind))))].sort();
  out.push(`| subscriptions | phase | ${kinds.join(' | ')} |`);
  out.push(`|---:|---|${kinds.map(() => '---:').join('|')}|`);
  for (const p of phases)
    out.push(
      `| ${p.size} | ${p.phase} | ${kinds
        .map((k) =>
          f(
            p.perInstance.reduce((s, x) => s + (x.byKind[k] ?? 0), 0),
            1,
          ),
        )
        .join(' | ')} |`,
    );
  out.push('');
  out.push(
    '| subscriptions | created (admin API, 8 at once) | all of them delivering | a new subscription delivers (3 samples) | SIGKILL: partitions moved | all delivering again after | running on enough live instances again after |',
  );
  out.push('|---:|---|---:|---|---:|---:|---:|');
  for (const t of timings) {
    out.push(
      `| ${t.size} | ${t.created} in ${f(t.createMs / 1000, 1)} s (${f(t.created / (t.createMs / 1000), 0)}/s) | ${f(t.allDeliveringMs / 1000, 1)} s | ${t.newSubMs.map((ms) => f(ms / 1000, 2)).join(', ')} s | ${t.moved} | ${f(t.moveMs / 1000, 1)} s | ${t.restoredMs === null ? 'not within 120 s' : `${f(t.restoredMs / 1000, 1)} s`} |`,
    );
  }
  out.push('');
  // Per subscription: the growth between the first and the last size, idle.
  const idle = phases.filter((p) => p.phase === 'idle');
  if (idle.length >= 2) {
    const a = idle[0];
    const b = idle[idle.length - 1];
    const clients = (p: PhaseRow) => p.perInstance.reduce((s, x) => s + x.consumers, 0);
    const rss = (p: PhaseRow) => p.perInstance.reduce((s, x) => s + x.rssMb, 0);
    const cpu = (p: PhaseRow) => p.perInstance.reduce((s, x) => s + x.cpuPct, 0);
    const dSubs = b.size - a.size;
    const dClients = clients(b) - clients(a);
    out.push(
      `per subscription, idle, ${a.size} → ${b.size}: ${f((rss(b) - rss(a)) / dSubs, 2)} MB RSS and ${f(((cpu(b) - cpu(a)) / dSubs) * 10, 2)} ‰ of a core over the cluster; ` +
        `per Kafka client: ${dClients ? f((rss(b) - rss(a)) / dClients, 2) : '?'} MB and ${dClients ? f(((cpu(b) - cpu(a)) / dClients) * 10, 2) : '?'} ‰ (${f(dClients / dSubs, 2)} clients per subscription)`,
    );
    if (a.brokerCpuPct !== null && b.brokerCpuPct !== null)
      out.push(`broker CPU per subscription, idle: ${f(((b.brokerCpuPct - a.brokerCpuPct) / dSubs) * 10, 2)} ‰ of a core`);
  }
  out.push(
    `scale section: ${settings.instances} instances on one machine, one database, one broker; ${f(tookMs / 1000, 0)} s in all; proxies with default settings`,
  );
  process.stdout.write(out.join('\n') + '\n');
}

/** The broker's JVM pid when `dir` holds a local node started by LocalKafkaCluster. */
export function localBrokerPid(dir: string): number | null {
  const file = join(dir, 'node-1', 'pid');
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, 'utf8'));
  return pid > 0 && existsSync(`/proc/${pid}`) ? pid : null;
}

if (require.main === module) {
  (async () => {
    if (!env.DATABASE_URL) throw new Error('DATABASE_URL is required (a migrated database: npm run migrate)');
    const dir = join(ROOT, '.run', 'scale-kafka');
    const local = env.KAFKA_BROKERS ? null : await LocalKafkaCluster.start({ dir, nodes: 1, heap: '1g', fastStartup: false });
    try {
      await runScale(env.KAFKA_BROKERS ?? local!.bootstrap, local ? localBrokerPid(dir) : null);
    } finally {
      await local?.stop();
    }
  })().catch((err) => {
    process.stderr.write(`scale bench failed: ${(err as Error).stack}\n`);
    process.exit(1);
  });
}
