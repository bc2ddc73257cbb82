/*
 * The `peers` section of `npm run bench`: kproxy against what a team would otherwise run, on the
 * same broker, topic layout (4 partitions, 1000 keys, bench/run.ts' records), sink processes and
 * concurrency, in one run. Each peer is its own process, built by scripts/bench-peers.sh from
 * bench/peers/<name>/ (its own lockfile or pom.xml, never kproxy's dependencies):
 * - nestjs: @nestjs/microservices' Kafka transport + @nestjs/axios (kafkajs eachMessage underneath);
 * - kafkajs: kafkajs eachBatch + undici, partition order and a whole-batch unordered variant;
 * - parallel-consumer: Confluent's Parallel Consumer (JVM) + java.net.http, key order and unordered.
 * BENCHMARKS.md ("Peers") says how each is configured and where its commit rule is weaker.
 */
import type { Row } from './run';
import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { KafkaJS } from '@confluentinc/kafka-javascript';
import { connectAdmin } from '../scripts/kafka/kafka-topics';

/** One table row, the shape bench/run.ts prints (msgs/s; ms; MB; CPU seconds per 10k records). */
export type PeerRow = Row;

interface SinkStats {
  count: number;
  first: number;
  last: number;
  p50: number;
  p99: number;
}

/** What the section borrows from bench/run.ts: the broker, the two sinks and kproxy itself. */
export interface PeersContext {
  bootstrap: string;
  /** Sinks answering at once and after 20 ms (bench/sink-process.ts). */
  sinks: Array<{ delayMs: number; sink: { url: string; reset(): Promise<void>; stats(): Promise<SinkStats> } }>;
  /** Creates `topic` with `partitions` partitions and produces `n` records to it (bench/run.ts' produce()). */
  produce(topic: string, partitions: number, n: number): Promise<void>;
  /** One kproxy row on `topic` delivering to `sinkUrl`'s sink (bench/run.ts' viaProxy()). */
  kproxy(delayMs: number, topic: string, n: number, label: string, delivery: Record<string, unknown>): Promise<PeerRow>;
  /** The kproxy process the kproxy rows run in (for BENCH_PEERS_THREADS). */
  kproxyPid: number;
  stamp: string;
  say(message: string): void;
}

type Ordering = 'key' | 'partition' | 'unordered';

interface Contender {
  /** Short name used in the summary line and the topic/group names. */
  name: string;
  ordering: Ordering;
  /** True where in-flight is bounded by the partition count (one record per partition at a time). */
  partitionBound: boolean;
  /** Command line; null for kproxy, which runs inside the bench's proxy process. */
  command: [string, string[]] | null;
}

const env = process.env;
const PARTITIONS = 4;
const CONCURRENCY = 64;
function positiveSetting(name: string, fallback: number): number {
  const value = Number(env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${env[name]}`);
  return value;
}
/** Records per row; the partition-bound peers at 20 ms get fewer (4 × ~45 msgs/s: 3000 take ≥ 16 s). */
const N = positiveSetting('BENCH_PEERS_RECORDS', 30_000);
const N_BOUND_SLOW = positiveSetting('BENCH_PEERS_BOUND_SLOW_RECORDS', 3_000);
/** A peer row that has not delivered its backlog by then fails with the count it reached (kproxy rows: bench/run.ts' own wait). */
const ROW_DEADLINE_MS = positiveSetting('BENCH_PEERS_ROW_DEADLINE_MS', 120_000);
const READY_DEADLINE_MS = 60_000;
const GROUP_PREFIX = 'bench-';
const PEERS_DIR = join(__dirname, '..', '..', 'bench', 'peers');
/** Diagnostics: BENCH_PEERS_THREADS=1 prints each row's CPU per record by thread name; the filters run a subset. */
const THREADS = env.BENCH_PEERS_THREADS === '1';
const ONLY_CONTENDERS = env.BENCH_PEERS_CONTENDERS ? new Set(env.BENCH_PEERS_CONTENDERS.split(',')) : null;
const ONLY_DELAYS = env.BENCH_PEERS_DELAYS ? new Set(env.BENCH_PEERS_DELAYS.split(',').map(Number)) : null;

const node = (peer: string): [string, string[]] => [process.execPath, [join(PEERS_DIR, peer, 'dist', 'main.js')]];
const pcDir = join(PEERS_DIR, 'parallel-consumer', 'target');
const java: [string, string[]] = ['java', ['-cp', `${join(pcDir, 'classes')}:${join(pcDir, 'lib', '*')}`, 'kproxy.bench.ParallelConsumerPeer']];

const CONTENDERS: Contender[] = [
  { name: 'kproxy', ordering: 'key', partitionBound: false, command: null },
  { name: 'kproxy', ordering: 'unordered', partitionBound: false, command: null },
  { name: 'nestjs', ordering: 'partition', partitionBound: true, command: node('nestjs') },
  { name: 'kafkajs', ordering: 'partition', partitionBound: true, command: node('kafkajs') },
  { name: 'kafkajs', ordering: 'unordered', partitionBound: false, command: node('kafkajs') },
  { name: 'parallel-consumer', ordering: 'key', partitionBound: false, command: java },
  { name: 'parallel-consumer', ordering: 'unordered', partitionBound: false, command: java },
];
for (const wanted of ONLY_CONTENDERS ?? []) {
  if (!CONTENDERS.some((c) => `${c.name}-${c.ordering}` === wanted)) {
    throw new Error(`BENCH_PEERS_CONTENDERS: unknown "${wanted}"; known: ${CONTENDERS.map((c) => `${c.name}-${c.ordering}`).join(', ')}`);
  }
}
for (const wanted of ONLY_DELAYS ?? [])
  if (wanted !== 0 && wanted !== 20) throw new Error(`BENCH_PEERS_DELAYS: the sinks answer after 0 or 20 ms, got ${wanted}`);

/** CPU ticks (user + system, own and reaped children's) and peak RSS of a process tree, from /proc. */
class ProcessTree {
  private static readonly ticksPerSecond = 100;

  constructor(private readonly rootPid: number) {}

  /** The root and every live descendant, found through the parent pid in /proc/<pid>/stat. */
  pids(): number[] {
    const parentOf = new Map<number, number>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = this.stat(Number(entry));
      if (stat) parentOf.set(Number(entry), Number(stat[1]));
    }
    const tree = [this.rootPid];
    for (let i = 0; i < tree.length; i++) for (const [pid, parent] of parentOf) if (parent === tree[i]) tree.push(pid);
    return tree;
  }

  /** CPU seconds so far of the tree's live processes (and the children they reaped). */
  cpuSeconds(): number {
    let ticks = 0;
    for (const pid of this.pids()) {
      const f = this.stat(pid);
      // After "comm) ": state is [0], utime [11], stime [12], cutime [13], cstime [14].
      if (f) ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    }
    return ticks / ProcessTree.ticksPerSecond;
  }

  /** CPU seconds so far per thread name over the tree's threads, digits folded ("GC Thread#"), for BENCH_PEERS_THREADS. */
  threadSeconds(): Map<string, number> {
    const byName = new Map<string, number>();
    for (const pid of this.pids()) {
      let tids: string[] = [];
      try {
        tids = readdirSync(`/proc/${pid}/task`);
      } catch {
        continue;
      }
      for (const tid of tids) {
        try {
          const raw = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
          // librdkafka's threads keep the process name ("node"): tell the main (JavaScript) thread apart by its id.
          const comm = raw.slice(raw.indexOf('(') + 1, raw.lastIndexOf(')')).replace(/\d+/g, '#');
          const name = tid === String(pid) ? `${comm} (main thread)` : comm;
          const f = raw.slice(raw.lastIndexOf(') ') + 2).split(' ');
          byName.set(name, (byName.get(name) ?? 0) + (Number(f[11]) + Number(f[12])) / ProcessTree.ticksPerSecond);
        } catch {
          // thread ended meanwhile
        }
      }
    }
    return byName;
  }

  /** The CPU seconds each thread name used since `before` (a threadSeconds() reading), largest first, as one line. */
  threadsSince(before: Map<string, number>, records: number): string {
    const used = [...this.threadSeconds()].map(([name, secs]) => [name, secs - (before.get(name) ?? 0)] as const).filter(([, secs]) => secs > 0.005);
    used.sort((a, b) => b[1] - a[1]);
    return used.map(([name, secs]) => `${name} ${((secs / records) * 1e6).toFixed(0)} µs`).join(', ');
  }

  /** Sum over the tree of each process's peak resident set (VmHWM), in MB. */
  peakRssMb(): number {
    let kb = 0;
    for (const pid of this.pids()) {
      try {
        kb += Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
      } catch {
        // exited meanwhile
      }
    }
    return Math.round(kb / 1024);
  }

  private stat(pid: number): string[] | null {
    try {
      return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    } catch {
      return null;
    }
  }
}

/** Runs the section; returns its rows (in table order) and the one summary line for the 20 ms key-order case. */
export class PeersSection {
  constructor(private readonly ctx: PeersContext) {}

  async run(): Promise<{ rows: PeerRow[]; summary: string }> {
    const admin = await connectAdmin(this.ctx.bootstrap);
    try {
      return await this.runAll(admin);
    } finally {
      await admin.disconnect();
    }
  }

  private async runAll(admin: KafkaJS.Admin): Promise<{ rows: PeerRow[]; summary: string }> {
    const rows: Array<PeerRow & { contender: Contender; delayMs: number; failed: boolean }> = [];
    for (const { delayMs, sink } of this.ctx.sinks) {
      if (ONLY_DELAYS && !ONLY_DELAYS.has(delayMs)) continue;
      for (const contender of CONTENDERS) {
        if (ONLY_CONTENDERS && !ONLY_CONTENDERS.has(`${contender.name}-${contender.ordering}`)) continue;
        const n = contender.partitionBound && delayMs > 0 ? N_BOUND_SLOW : N;
        const orderLabel = contender.ordering === 'partition' ? 'partition order' : contender.ordering === 'key' ? 'key order' : 'unordered';
        const label = `peers: ${contender.name} ${orderLabel}, sink ${delayMs} ms`;
        const topic = `peer-${contender.name}-${contender.ordering}-${delayMs}-${this.ctx.stamp}`;
        this.ctx.say(`${label} (${n} records)`);
        await this.ctx.produce(topic, PARTITIONS, n);
        try {
          const kproxyTree = new ProcessTree(this.ctx.kproxyPid);
          const threads0 = THREADS && !contender.command ? kproxyTree.threadSeconds() : null;
          const row = contender.command
            ? await this.peerRow(admin, contender, contender.command, sink, topic, n, label)
            : await this.ctx.kproxy(delayMs, topic, n, label, { ordering: contender.ordering, maxInFlight: CONCURRENCY });
          if (threads0) this.ctx.say(`CPU per record by thread, ${label}: ${kproxyTree.threadsSince(threads0, row.records)}`);
          const bound = contender.partitionBound ? `in flight ≤ ${PARTITIONS} (partitions)` : `${CONCURRENCY} in flight`;
          rows.push({ ...row, note: row.note ? `${bound}; ${row.note}` : bound, contender, delayMs, failed: false });
        } catch (err) {
          this.ctx.say(`${label} failed: ${(err as Error).message}`);
          rows.push({ name: label, records: 0, rate: 0, note: `FAILED: ${(err as Error).message}`, contender, delayMs, failed: true });
        }
      }
    }
    return { rows: rows.map(({ contender: _c, delayMs: _d, failed: _f, ...row }) => row), summary: this.summary(rows) };
  }

  private summary(rows: Array<PeerRow & { contender: Contender; delayMs: number; failed: boolean }>): string {
    // The 20 ms key-order case: key order where the peer has it, partition order where it has not.
    const keyOrder = (c: Contender) =>
      c.ordering === 'key' || (c.ordering === 'partition' && !CONTENDERS.some((o) => o.name === c.name && o.ordering === 'key'));
    const slow = rows.filter((r) => r.delayMs > 0 && !r.failed && keyOrder(r.contender));
    const kproxy = slow.find((r) => r.contender.name === 'kproxy');
    const best = slow.filter((r) => r.contender.name !== 'kproxy').sort((a, b) => b.rate - a.rate)[0];
    if (!kproxy || !best)
      return `peers: incomplete: no ${kproxy ? 'peer' : 'kproxy'} row for the 20 ms key-order case (failed, or left out by BENCH_PEERS_DELAYS / BENCH_PEERS_CONTENDERS)`;
    const bestName = `${best.contender.name}-${best.contender.ordering}`;
    return `peers: kproxy ${kproxy.rate.toFixed(0)}, best peer ${bestName} ${best.rate.toFixed(0)}, ratio ${(kproxy.rate / best.rate).toFixed(2)}`;
  }

  private async peerRow(
    admin: KafkaJS.Admin,
    contender: Contender,
    [command, args]: [string, string[]],
    sink: { url: string; reset(): Promise<void>; stats(): Promise<SinkStats> },
    topic: string,
    n: number,
    label: string,
  ): Promise<PeerRow> {
    await sink.reset();
    const child = spawn(command, args, {
      env: {
        ...env,
        BOOTSTRAP: this.ctx.bootstrap,
        TOPIC: topic,
        GROUP_ID: GROUP_PREFIX + topic,
        SINK_URL: `${sink.url}/${contender.name}`,
        CONCURRENCY: String(CONCURRENCY),
        PARTITIONS: String(PARTITIONS),
        ORDERING: contender.ordering,
      },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(`${contender.name} exited (${signal ?? `code ${code}`})`)));
    let row: PeerRow;
    try {
      await this.race(
        exited,
        this.readyLine(child),
        READY_DEADLINE_MS,
        async () => `${contender.name} did not print "ready" within ${READY_DEADLINE_MS / 1000} s`,
      );
      const tree = new ProcessTree(child.pid!);
      const threads0 = THREADS ? tree.threadSeconds() : null;
      const cpu0 = tree.cpuSeconds();
      child.stdin!.write('go\n');
      const s = await this.race(exited, this.delivered(sink, n), ROW_DEADLINE_MS, async () => {
        const { count } = (await (await fetch(`${sink.url}/count`)).json()) as { count: number };
        return `the sink got ${count} of ${n} records within the row's deadline of ${ROW_DEADLINE_MS / 1000} s (BENCH_PEERS_ROW_DEADLINE_MS)`;
      });
      const cpu = tree.cpuSeconds() - cpu0;
      const rssMb = tree.peakRssMb();
      if (threads0) this.ctx.say(`CPU per record by thread, ${label}: ${tree.threadsSince(threads0, s.count)}`);
      const secs = Math.max(0.001, (s.last - s.first) / 1000);
      row = { name: label, records: s.count, rate: s.count / secs, p50: s.p50, p99: s.p99, rssMb, cpuPer10k: (cpu / s.count) * 10_000 };
    } finally {
      await this.stop(child, exited);
    }
    // What the peer had committed when it stopped (after a SIGTERM it handles as its library advises).
    return { ...row, note: `committed ${await this.committed(admin, GROUP_PREFIX + topic, topic)} of ${n} at exit` };
  }

  /** Records covered by the group's committed offsets on `topic` (offsets start at 0 on these fresh topics). */
  private async committed(admin: KafkaJS.Admin, groupId: string, topic: string): Promise<number> {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return (offsets?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
  }

  private readyLine(child: ChildProcess): Promise<void> {
    return new Promise((resolve) => {
      const lines = createInterface({ input: child.stdout! });
      lines.on('line', (line) => {
        if (line.trim() === 'ready') resolve();
      });
    });
  }

  /** Polls the sink's cheap /count until `n` records arrived, then reads its stats. */
  private async delivered(sink: { url: string; stats(): Promise<SinkStats> }, n: number): Promise<SinkStats> {
    for (;;) {
      const { count } = (await (await fetch(`${sink.url}/count`)).json()) as { count: number };
      if (count >= n) return sink.stats();
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** `work`'s result, or an error if the peer exits first or `timeoutMs` passes (`timeoutMessage` says how far it got). */
  private async race<T>(exited: Promise<string>, work: Promise<T>, timeoutMs: number, timeoutMessage: () => Promise<string>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => void timeoutMessage().then((m) => reject(new Error(m)), reject), timeoutMs);
    });
    const exit = exited.then((why): never => {
      throw new Error(why);
    });
    // The peer exits later on purpose (stop()): that rejection must not go unhandled.
    exit.catch(() => undefined);
    try {
      return await Promise.race([work, deadline, exit]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGTERM, then SIGKILL if the peer has not exited within 20 s (Parallel Consumer drains and commits on close). */
  private async stop(child: ChildProcess, exited: Promise<string>): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(killer);
  }
}
