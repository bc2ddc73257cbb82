/*
 * Benchmark peer: what a Node expert writes without kproxy. A kafkajs consumer with `eachBatch`
 * and `partitionsConsumedConcurrently`, POSTing each record with undici, committing offsets only
 * once their POST answered 2xx. Two designs, chosen by ORDERING:
 * - `partition`: each partition's batch is delivered one record after another (kafkajs keeps a
 *   partition on one `eachBatch` call at a time), so at most one request per partition is in
 *   flight: concurrency is bounded by the partition count, whatever CONCURRENCY says.
 * - `unordered`: a whole batch is POSTed at once, up to CONCURRENCY requests in flight shared by
 *   all partitions; its last offset is resolved and committed after every record succeeded.
 * A failed POST (non-2xx or transport error) is retried with backoff until it succeeds.
 *
 * Settings (environment, set by bench/peers.ts): BOOTSTRAP, TOPIC, GROUP_ID, SINK_URL,
 * CONCURRENCY (requests in flight), PARTITIONS (the topic's partition count, kafkajs'
 * recommended `partitionsConsumedConcurrently`), ORDERING.
 * Prints "ready" once built, then waits for a line on stdin before connecting, so the runner's
 * CPU reading starts with the connection.
 */
import { Kafka, logLevel, type Batch, type EachBatchPayload } from 'kafkajs';
import { createInterface } from 'node:readline';
import { Pool } from 'undici';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

function positive(name: string): number {
  const value = Number(required(name));
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${process.env[name]}`);
  return value;
}

const ordering = required('ORDERING');
if (ordering !== 'partition' && ordering !== 'unordered') throw new Error(`ORDERING must be partition or unordered, got ${ordering}`);
const concurrency = positive('CONCURRENCY');
const partitions = positive('PARTITIONS');
const sink = new URL(required('SINK_URL'));
const topic = required('TOPIC');

/** Counting semaphore: at most `limit` holders at once; waiters are served in arrival order. */
class Semaphore {
  private free: number;
  private readonly waiting: Array<() => void> = [];

  constructor(limit: number) {
    this.free = limit;
  }

  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

const pool = new Pool(sink.origin, { connections: concurrency, pipelining: 1 });
const slots = new Semaphore(concurrency);
const headers = { 'content-type': 'application/json' };

/** POSTs one record's value until the sink answers 2xx; backoff 50 ms doubling to 2 s between tries. */
async function deliver(value: Buffer | null): Promise<void> {
  for (let backoffMs = 50; ; backoffMs = Math.min(backoffMs * 2, 2000)) {
    try {
      const res = await pool.request({ path: sink.pathname, method: 'POST', headers, body: value ?? '' });
      await res.body.dump();
      if (res.statusCode >= 200 && res.statusCode < 300) return;
    } catch {
      // transport error: retried below like a non-2xx answer
    }
    await new Promise((r) => setTimeout(r, backoffMs));
  }
}

async function inOrder({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
  for (const message of batch.messages) {
    if (!isRunning() || isStale()) return;
    await deliver(message.value);
    resolveOffset(message.offset);
    await heartbeat();
  }
}

async function deliverBatch(batch: Batch): Promise<void> {
  await Promise.all(
    batch.messages.map(async (message) => {
      await slots.acquire();
      try {
        await deliver(message.value);
      } finally {
        slots.release();
      }
    }),
  );
}

async function wholeBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
  if (!isRunning() || isStale() || batch.isEmpty()) return;
  const beat = setInterval(() => void heartbeat().catch(() => undefined), 1000);
  try {
    await deliverBatch(batch);
  } finally {
    clearInterval(beat);
  }
  resolveOffset(batch.lastOffset());
}

async function main(): Promise<void> {
  const kafka = new Kafka({ clientId: 'bench-peer-kafkajs', brokers: required('BOOTSTRAP').split(','), logLevel: logLevel.ERROR });
  const consumer = kafka.consumer({ groupId: required('GROUP_ID') });
  const stop = async () => {
    await consumer.disconnect().catch(() => undefined);
    await pool.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.stdout.write('ready\n');
  await new Promise((resolve) => createInterface({ input: process.stdin }).once('line', resolve));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: partitions,
    // Resolve offsets ourselves, only after success; kafkajs commits what is resolved after each batch.
    eachBatchAutoResolve: false,
    eachBatch: ordering === 'partition' ? inOrder : wholeBatch,
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`kafkajs peer failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
