/*
 * BENCH_ONLY=cost: what each delivered record costs kproxy, as a new user would run it:
 * unordered, a `fields` projection, a 60k-record backlog, a lean sink. Measures the sink's
 * ceiling with undici alone at each in-flight setting, then kproxy at the same settings, each
 * in its own proxy process, and splits kproxy's CPU per record by thread (/proc/<pid>/task) and,
 * on the JavaScript thread, by stage from a V8 CPU profile (BENCH_COST_PROFILE=0 skips the
 * profile: it adds ~10 % to the JavaScript thread's cost).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'undici';
import { BenchKafka, cpuPer10k, produce, Proxy, Row, say, Sink } from './run';

const env = process.env;
const N_COST = Number(env.BENCH_COST_RECORDS ?? 60_000);
const IN_FLIGHT = (env.BENCH_COST_IN_FLIGHT ?? '64,256').split(',').map(Number);
const PROFILE = env.BENCH_COST_PROFILE !== '0';
const PARTITIONS = 4;
/** BENCH_COST_BASE=<checkout with a build>: the same rows on that build, interleaved, for before/after in one run. */
const BASE = env.BENCH_COST_BASE ?? '';
/** BENCH_COST_ARGS="--flag ...": one more row per setting, this build under those node flags. */
const ARGS = env.BENCH_COST_ARGS ? env.BENCH_COST_ARGS.split(' ') : [];
const STAGES = ['fetch', 'ETL', 'gate', 'dispatch', 'HTTP', 'commit', 'GC', 'other'] as const;
type Stage = (typeof STAGES)[number];

/** One in-flight setting's figures: the sink's ceiling from undici alone, and kproxy's. */
export interface CostRow {
  readonly build: string;
  readonly inFlight: number;
  readonly ceiling: { rate: number; cpuUsPerRequest: number };
  readonly kproxy: Row & {
    cpuUsPerRecord: number;
    threads: Record<string, number>;
    stages: Partial<Record<Stage, number>> | null;
    /** Means of kproxy_records_in_flight and kproxy_inflight_limit sampled every 200 ms while delivering. */
    inFlightSeen: { records: number; limit: number };
  };
}

/**
 * Runs the cost section on `kafka` against a fresh lean sink; returns one row per in-flight
 * setting and prints the breakdown table to stdout.
 */
export async function costPerRecord(kafka: BenchKafka, stamp: string, label = ''): Promise<CostRow[]> {
  const sink = await Sink.start(0);
  const out: CostRow[] = [];
  let two: (Row & { cpuUsPerRecord: number }) | null = null;
  try {
    for (const inFlight of IN_FLIGHT) {
      const topic = `cost-${stamp}-${inFlight}${label ? `-${label}` : ''}`;
      say(`cost per record: producing ${N_COST} records to ${topic}`);
      await produce(kafka, topic, PARTITIONS, N_COST);
      const ceiling = await undiciAlone(sink, inFlight, Math.min(N_COST, 40_000));
      say(`cost per record: undici alone at ${inFlight} in flight: ${ceiling.rate.toFixed(0)} req/s, ${ceiling.cpuUsPerRequest.toFixed(1)} µs CPU per request`);
      const builds = [...(BASE ? ['base'] : []), 'this', ...(ARGS.length ? [`this ${ARGS.join(' ')}`] : [])];
      for (const [i, build] of builds.entries()) {
        // Each build reads its own copy of the backlog, so latencies are comparable.
        const own = i === 0 ? topic : `${topic}-${i}`;
        if (i > 0) await produce(kafka, own, PARTITIONS, N_COST);
        const kproxy = await viaOwnProxy(kafka, sink, own, inFlight, build === 'base' ? BASE : undefined, build.startsWith('this ') ? ARGS : []);
        say(
          `cost per record: kproxy (${build} build) at ${inFlight} in flight: ${kproxy.rate.toFixed(0)} msgs/s, ${kproxy.cpuUsPerRecord.toFixed(1)} µs CPU per record`,
        );
        out.push({ build, inFlight, ceiling, kproxy });
      }
    }
    if (env.BENCH_COST_TWO !== '0') {
      const topic = `cost-${stamp}-two${label ? `-${label}` : ''}`;
      await produce(kafka, topic, PARTITIONS, N_COST);
      const inFlight = IN_FLIGHT[0];
      two = await twoProcesses(kafka, sink, topic, inFlight);
      say(
        `cost per record: two kproxy processes at ${inFlight} in flight each: ${two.rate.toFixed(0)} msgs/s, ${two.cpuUsPerRecord.toFixed(1)} µs CPU per record`,
      );
    }
  } finally {
    sink.stop();
  }
  printCost(out, label, two);
  return out;
}

/**
 * "Use more cores": two proxy processes on this machine share one subscription (replicas 2,
 * each owning half the partitions). msgs/s over both, CPU per record summed over both.
 */
async function twoProcesses(kafka: BenchKafka, sink: Sink, topic: string, inFlight: number): Promise<Row & { cpuUsPerRecord: number }> {
  const proxies = [await Proxy.start(), await Proxy.start()];
  try {
    await sink.reset();
    const cpu0 = proxies.map((p) => p.cpuSeconds());
    const id = await proxies[0].subscribe({
      name: `bench-cost-${topic}`,
      replicas: 2,
      kafka: { brokers: kafka.bootstrap, topic, startFrom: 'earliest' },
      etl: { fields: { ts: '$.ts', i: '$.i', key: '$.k' } },
      endpoint: { url: `${sink.url}/cost`, timeoutMs: 10_000 },
      delivery: { ordering: 'unordered', maxInFlight: inFlight, maxRetries: 3 },
      status: 'running',
    });
    const s = await sink.waitFor(N_COST);
    const cpu = proxies.reduce((sum, p, i) => sum + p.cpuSeconds() - cpu0[i], 0);
    await proxies[0].stopSubscription(id);
    const secs = Math.max(0.001, (s.last - s.first) / 1000);
    return {
      name: `two processes, maxInFlight ${inFlight} each`,
      records: s.count,
      rate: s.count / secs,
      p50: s.p50,
      p99: s.p99,
      cpuPer10k: cpuPer10k(cpu, s.count),
      cpuUsPerRecord: (cpu / s.count) * 1e6,
    };
  } finally {
    await Promise.all(proxies.map((p) => p.stop()));
  }
}

/** The sink's ceiling at `inFlight` requests at once, from undici alone in this process: req/s and CPU µs per request. */
async function undiciAlone(sink: Sink, inFlight: number, n: number): Promise<{ rate: number; cpuUsPerRequest: number }> {
  await sink.reset();
  const pool = new Pool(new URL(sink.url).origin, { connections: inFlight, pipelining: 1 });
  let next = 0;
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < n) {
        const i = next++;
        const res = await pool.request({
          path: '/ceiling',
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: `{"ts":${Date.now()},"i":${i},"k":"key-${i % 1000}"}`,
        });
        await res.body.dump();
      }
    }),
  );
  const secs = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await pool.close();
  return { rate: n / secs, cpuUsPerRequest: (cpu.user + cpu.system) / n };
}

async function viaOwnProxy(
  kafka: BenchKafka,
  sink: Sink,
  topic: string,
  inFlight: number,
  root: string | undefined,
  nodeArgs: string[],
): Promise<CostRow['kproxy']> {
  const profDir = join(__dirname, '..', '..', '.run', 'cost-prof', topic);
  if (PROFILE) {
    rmSync(profDir, { recursive: true, force: true });
    mkdirSync(profDir, { recursive: true });
  }
  const monoMinusWallUs = Number(process.hrtime.bigint() / 1000n) - Date.now() * 1000;
  const proxy = await Proxy.start({}, [...nodeArgs, ...(PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [])], root);
  let row: Row;
  let threads0: Record<string, number>;
  let threads1: Record<string, number>;
  let window: { first: number; last: number };
  let inFlightSeen = { records: 0, limit: 0 };
  try {
    await sink.reset();
    proxy.resetPeak();
    threads0 = proxy.threadCpuSeconds();
    const cpu0 = proxy.cpuSeconds();
    const id = await proxy.subscribe({
      name: `bench-cost-${topic}`,
      kafka: { brokers: kafka.bootstrap, topic, startFrom: 'earliest' },
      etl: { fields: { ts: '$.ts', i: '$.i', key: '$.k' } },
      endpoint: { url: `${sink.url}/cost`, timeoutMs: 10_000 },
      delivery: { ordering: 'unordered', maxInFlight: inFlight, maxRetries: 3 },
      status: 'running',
    });
    const sampler = sampleInFlight(proxy.url);
    const s = await sink.waitFor(N_COST);
    inFlightSeen = await sampler.stop();
    threads1 = proxy.threadCpuSeconds();
    // The profiler's own thread is the measurement's cost, not kproxy's.
    const cpu = proxy.cpuSeconds() - cpu0 - ((threads1.profiler ?? 0) - (threads0.profiler ?? 0));
    window = { first: s.first, last: s.last };
    const secs = Math.max(0.001, (s.last - s.first) / 1000);
    row = {
      name: `kproxy unordered, fields, maxInFlight ${inFlight}`,
      records: s.count,
      rate: s.count / secs,
      p50: s.p50,
      p99: s.p99,
      rssMb: proxy.peakRssMb,
      cpuPer10k: cpuPer10k(cpu, s.count),
    };
    await proxy.stopSubscription(id);
  } finally {
    await proxy.stop();
  }
  const threads: Record<string, number> = {};
  for (const [kind, secs] of Object.entries(threads1)) threads[kind] = ((secs - (threads0[kind] ?? 0)) / row.records) * 1e6;
  const stages = PROFILE ? stageShares(profDir, monoMinusWallUs, window) : null;
  const jsUs = threads.js ?? 0;
  const stagesUs = stages ? Object.fromEntries(Object.entries(stages).map(([k, share]) => [k, share * jsUs])) : null;
  return { ...row, cpuUsPerRecord: ((row.cpuPer10k ?? 0) / 10_000) * 1e6, threads, stages: stagesUs, inFlightSeen };
}

/** Samples the proxy's in-flight gauges every 200 ms (while records flow) until stopped; resolves their means. */
function sampleInFlight(proxyUrl: string): { stop(): Promise<{ records: number; limit: number }> } {
  let running = true;
  let n = 0;
  let records = 0;
  let limit = 0;
  const loop = (async () => {
    while (running) {
      try {
        const text = await (await fetch(`${proxyUrl}/metrics`)).text();
        const inFlight = Number(/^kproxy_records_in_flight\{[^}]*\} (\S+)$/m.exec(text)?.[1] ?? NaN);
        const lim = Number(/^kproxy_inflight_limit\{[^}]*\} (\S+)$/m.exec(text)?.[1] ?? NaN);
        if (inFlight > 0 && Number.isFinite(lim)) {
          n++;
          records += inFlight;
          limit += lim;
        }
      } catch {
        // the proxy is busy; next sample
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return n === 0 ? { records: 0, limit: 0 } : { records: records / n, limit: limit / n };
    },
  };
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

/**
 * Shares of the JavaScript thread's samples per stage inside the delivery window (wall-clock
 * ms of the sink's first and last receipt), read from the V8 CPU profile the proxy wrote on
 * exit. A sample counts for the first frame from the leaf up whose script names a stage, so a
 * builtin (JSON.parse, a Buffer copy) counts for the stage that called it. Idle and
 * "(program)" samples (native code outside JavaScript, e.g. the Kafka binding) are left out.
 */
function stageShares(dir: string, monoMinusWallUs: number, window: { first: number; last: number }): Partial<Record<Stage, number>> | null {
  if (!existsSync(dir)) return null;
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) return null;
  const prof = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nodes: ProfileNode[]; startTime: number; samples: number[]; timeDeltas: number[] };
  const parent = new Map<number, number>();
  const byId = new Map<number, ProfileNode>();
  for (const n of prof.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const stageOf = new Map<number, Stage | null>();
  const resolve = (id: number): Stage | null => {
    const known = stageOf.get(id);
    if (known !== undefined) return known;
    const node = byId.get(id)!;
    const own = classify(node.callFrame.url, node.callFrame.functionName);
    const up = parent.get(id);
    const stage = own ?? (up === undefined ? null : resolve(up));
    stageOf.set(id, stage);
    return stage;
  };
  const counts = new Map<Stage, number>();
  let total = 0;
  // Profile time is CLOCK_MONOTONIC in microseconds (V8's TimeTicks), the clock
  // process.hrtime reads here too; `monoMinusWallUs` maps the sink's wall-clock window onto it.
  let t = prof.startTime;
  const from = window.first * 1000 + monoMinusWallUs;
  const to = window.last * 1000 + monoMinusWallUs;
  for (let i = 0; i < prof.samples.length; i++) {
    t += prof.timeDeltas[i];
    if (t < from || t > to) continue;
    const node = byId.get(prof.samples[i])!;
    const name = node.callFrame.functionName;
    if (name === '(idle)' || name === '(program)' || name === '(root)') continue;
    const stage = name === '(garbage collector)' ? 'GC' : (resolve(node.id) ?? 'other');
    counts.set(stage, (counts.get(stage) ?? 0) + 1);
    total++;
  }
  if (total === 0) return null;
  return Object.fromEntries([...counts].map(([k, v]) => [k, v / total]));
}

function classify(url: string, fn: string): Stage | null {
  if (!url) return null;
  if (/\/src\/etl\/|\/common\/json\/|jsonpath-plus|re2js/.test(url)) return 'ETL';
  if (/rate-gate|circuit-breaker|adaptive-concurrency|bottleneck|parked-keys/.test(url)) return 'gate';
  if (/commit-batcher|commit-manager|offset-tracker|commit-receipts/.test(url)) return 'commit';
  if (/undici|http-sender|delivery-target|success-rule|kafka-headers|outbound-guard|node:net|node:internal\/(net|stream|streams|dns)|node:_http/.test(url))
    return 'HTTP';
  if (/kafka-javascript|rdkafka/.test(url)) return 'fetch';
  if (/kafka-session/.test(url)) return 'fetch';
  if (/subscription-consumer|partition-ledger/.test(url)) return /^(run|admit|offsetJump)$/.test(fn) ? 'fetch' : 'dispatch';
  if (/record-processor|record-dispatcher|lane-scheduler|fifo|partition-state/.test(url)) return 'dispatch';
  return null;
}

function printCost(rows: CostRow[], label: string, two: (Row & { cpuUsPerRecord: number }) | null): void {
  const fmt = (v: number | undefined, d = 0) => (v === undefined ? '' : v.toFixed(d));
  const lines = [
    `\ncost per record${label ? ` (${label})` : ''}: unordered, fields projection, ${N_COST}-record backlog, ${PARTITIONS} partitions, lean sink`,
    `| build | maxInFlight | undici alone req/s | undici µs/req | kproxy msgs/s | % of ceiling | kproxy µs/record | mean in flight / limit | p50 ms | p99 ms | peak RSS MB |`,
    `|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|`,
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.build} | ${r.inFlight} | ${fmt(r.ceiling.rate)} | ${fmt(r.ceiling.cpuUsPerRequest, 1)} | ${fmt(r.kproxy.rate)} | ${fmt((r.kproxy.rate / r.ceiling.rate) * 100)} | ${fmt(r.kproxy.cpuUsPerRecord, 1)} | ${fmt(r.kproxy.inFlightSeen.records)} / ${fmt(r.kproxy.inFlightSeen.limit)} | ${fmt(r.kproxy.p50)} | ${fmt(r.kproxy.p99)} | ${fmt(r.kproxy.rssMb)} |`,
    );
  }
  if (two) {
    const one = rows.find((r) => r.build === 'this' && r.inFlight === IN_FLIGHT[0]);
    lines.push(
      `| this, two processes | ${IN_FLIGHT[0]} each | ${fmt(one?.ceiling.rate)} | | ${fmt(two.rate)} | ${one ? fmt((two.rate / one.ceiling.rate) * 100) : ''} | ${fmt(two.cpuUsPerRecord, 1)} | | ${fmt(two.p50)} | ${fmt(two.p99)} | |`,
    );
  }
  const kinds = ['js', 'librdkafka', 'workers'];
  lines.push('', `kproxy CPU µs per record by thread${PROFILE ? ' and, on the JavaScript thread, by stage (V8 profile shares)' : ''}:`);
  lines.push(`| build | maxInFlight | ${kinds.join(' | ')} | ${PROFILE ? STAGES.map((s) => `js: ${s}`).join(' | ') + ' |' : ''}`);
  lines.push(`|---|---:|${kinds.map(() => '---:').join('|')}|${PROFILE ? STAGES.map(() => '---:').join('|') + '|' : ''}`);
  for (const r of rows) {
    const t = kinds.map((k) => fmt(r.kproxy.threads[k], 1)).join(' | ');
    const s = PROFILE ? STAGES.map((st) => fmt(r.kproxy.stages?.[st], 1)).join(' | ') + ' |' : '';
    lines.push(`| ${r.build} | ${r.inFlight} | ${t} | ${s}`);
  }
  process.stdout.write(lines.join('\n') + '\n');
}
