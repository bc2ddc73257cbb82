import type { Message } from '@confluentinc/kafka-javascript';
import type { JsonLogger } from '../../common/logging/json.logger';
import type { DeadLetterRecord } from '../../model/dead-letter-record';
import type { DeadLettersService } from '../../dead-letters/dead-letters.service';
import type { HttpAttempt } from '../../delivery/http-attempt';
import type { HttpSender } from '../../delivery/http-sender.service';
import { CircuitBreaker } from '../../delivery/circuit-breaker';
import type { RateGate } from '../../delivery/rate-gate';
import { SubscriptionMetrics } from '../../metrics/subscription-metrics';
import { parseSubscriptionSpec } from '../../subscriptions/dto/subscription-spec.schema';
import { CompiledSubscription } from './compiled-subscription';
import { ParkedKeys } from './parked-keys';
import { RecordProcessor } from './record-processor';

interface Sent {
  seqs: number[];
  headers: Record<string, string>;
}

/** A processor over fakes: `answer` sees the seqs of each request's array and says the HTTP status (and body). */
function world(answer: (seqs: number[]) => number | HttpAttempt, opts: { delivery?: Record<string, unknown>; endpoint?: Record<string, unknown> } = {}) {
  const parsed = parseSubscriptionSpec({
    name: 'unit',
    kafka: { brokers: '127.0.0.1:9092', topic: 't' },
    endpoint: { url: 'http://127.0.0.1:1/x', ...opts.endpoint },
    delivery: { batchSize: 50, maxRetries: 2, backoffMs: 1, maxBackoffMs: 1, ...opts.delivery },
  });
  if (!parsed.success) throw new Error(JSON.stringify(parsed.error.issues));
  const compiled = new CompiledSubscription(1, parsed.data);
  const sent: Sent[] = [];
  const permits: number[] = [];
  const rows: DeadLetterRecord[] = [];
  const sender = {
    send: async (_t: unknown, body: string | Buffer, headers: readonly string[]): Promise<HttpAttempt> => {
      const parsed = JSON.parse(body.toString()) as Array<{ seq: number }> | { seq: number };
      const seqs = (Array.isArray(parsed) ? parsed : [parsed]).map((r) => r.seq);
      const h: Record<string, string> = {};
      for (let i = 0; i < headers.length; i += 2) h[headers[i]] = headers[i + 1];
      sent.push({ seqs, headers: h });
      const a = answer(seqs);
      return typeof a === 'number' ? { status: a, body: '' } : a;
    },
  } as unknown as HttpSender;
  const gate = { acquire: async (_s: AbortSignal, n: number) => void permits.push(n) } as unknown as RateGate;
  const logger = { warn: () => undefined, error: () => undefined, info: () => undefined } as unknown as JsonLogger;
  const deadLetters = { record: async (row: DeadLetterRecord) => void rows.push(row) } as unknown as DeadLettersService;
  const breaker = new CircuitBreaker(compiled.policy.circuitBreaker);
  const processor = new RecordProcessor(
    {
      sender,
      deadLetters,
      metrics: new SubscriptionMetrics('1'),
      logger,
      gate: () => gate,
      breaker: () => breaker,
      concurrency: null,
      parked: new ParkedKeys(),
      maxMessageBytes: 1 << 20,
    },
    () => compiled,
  );
  return { processor, sent, permits, rows, breaker };
}

const msgs = (n: number): Message[] =>
  Array.from({ length: n }, (_, seq) => ({ topic: 't', partition: 0, offset: seq, value: Buffer.from(JSON.stringify({ seq })), size: 0 }) as Message);

describe('RecordProcessor batches', () => {
  it('dead-letters only the refused records of a batch; each request describes exactly its records', async () => {
    const w = world((seqs) => (seqs.includes(4) || seqs.includes(9) ? 400 : 200));
    const results = await w.processor.processBatch(msgs(12), new AbortController().signal);
    expect(results).toEqual(new Array(12).fill('done'));
    expect(w.rows.map((r) => r.offset)).toEqual([4, 9]);
    expect(w.rows[0]).toMatchObject({ reason: 'rejected', attempts: 1, lastStatus: 400, transformedBody: '{"seq":4}' });
    expect(w.rows[0].lastError).toContain('alone, after halving a batch of 12');
    const delivered = w.sent.filter((s) => !s.seqs.includes(4) && !s.seqs.includes(9));
    expect(delivered.flatMap((s) => s.seqs)).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 10, 11]);
    for (const s of w.sent) {
      expect(s.headers['x-kafka-batch-size']).toBe(String(s.seqs.length));
      const first = s.seqs[0];
      const last = s.seqs[s.seqs.length - 1];
      expect(s.headers['x-kafka-records']).toBe(first === last ? `0:${first}` : `0:${first}-${last}`);
    }
    // Permits are taken per attempt, for the records in that attempt.
    expect(w.permits).toEqual(w.sent.map((s) => s.seqs.length));
  });

  it('halves on 413 even when the success rule lists 413; a lone record answered 413 is rejected with 413', async () => {
    const w = world((seqs) => (seqs.length > 3 || seqs.includes(5) ? 413 : 200), { endpoint: { successStatus: [200, 413] } });
    const results = await w.processor.processBatch(msgs(8), new AbortController().signal);
    expect(results).toEqual(new Array(8).fill('done'));
    expect(w.rows).toHaveLength(1);
    expect(w.rows[0]).toMatchObject({ offset: 5, reason: 'rejected', lastStatus: 413, attempts: 1 });
  });

  it('splits a batch over maxBatchBytes into consecutive parts sent one after another', async () => {
    // {"seq":N} is 9-10 bytes: 1024 bytes hold about 95 of them.
    const w = world(() => 200, { delivery: { batchSize: 200, maxBatchBytes: 1024 } });
    await w.processor.processBatch(msgs(200), new AbortController().signal);
    expect(w.sent.length).toBeGreaterThan(1);
    expect(w.sent.flatMap((s) => s.seqs)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    for (const s of w.sent) expect(JSON.stringify(s.seqs.map((seq) => ({ seq }))).length).toBeLessThanOrEqual(1024);
  });

  it('does not halve a batch whose retries ran out (5xx): every record dead-lettered with the batch', async () => {
    const w = world(() => 503, { delivery: { circuitBreaker: { enabled: false } } });
    const results = await w.processor.processBatch(msgs(10), new AbortController().signal);
    expect(results).toEqual(new Array(10).fill('done'));
    expect(w.sent).toHaveLength(3);
    expect(w.rows.map((r) => r.reason)).toEqual(new Array(10).fill('retries_exhausted'));
    expect(w.rows[0].lastError).toContain('in a batch of 10');
  });

  it.each([
    ['a 403 (about credentials, not records)', () => 403],
    ['a 2xx the success rule cannot be evaluated on', () => ({ status: 200, body: '[{"code":5}]' })],
  ])('does not halve %s: one request, every record dead-lettered with the batch', async (_what, answer) => {
    const w = world(answer as () => number | HttpAttempt, { endpoint: { errcodePath: '$[?(@.code && @.code.startsWith("0"))].code' } });
    const results = await w.processor.processBatch(msgs(10), new AbortController().signal);
    expect(results).toEqual(new Array(10).fill('done'));
    expect(w.sent).toHaveLength(1);
    expect(w.rows.map((r) => r.reason)).toEqual(new Array(10).fill('rejected'));
  });

  it('with the breaker on, an endpoint down for longer than the retries dead-letters nothing: the batch waits for it', async () => {
    let calls = 0;
    const w = world(() => (++calls <= 6 ? 503 : 200), { delivery: { maxRetries: 3, circuitBreaker: { probeIntervalMs: 10, maxProbeIntervalMs: 20 } } });
    const results = await w.processor.processBatch(msgs(10), new AbortController().signal);
    expect(results).toEqual(new Array(10).fill('done'));
    expect(w.rows).toEqual([]);
    expect(w.sent).toHaveLength(7);
    expect(w.breaker.snapshot()).toMatchObject({ state: 'closed', opens: 1 });
  });

  it('a record that times out every time spends its retries even as the only probe: it cannot hold its partition forever', async () => {
    const w = world(() => ({ status: 0, error: 'timed out after 100 ms' }), {
      delivery: { batchSize: 1, maxRetries: 3, circuitBreaker: { probeIntervalMs: 10, maxProbeIntervalMs: 20 } },
    });
    const result = await w.processor.process(msgs(1)[0], new AbortController().signal);
    expect(result).toBe('done');
    expect(w.rows.map((r) => [r.reason, r.attempts])).toEqual([['retries_exhausted', 4]]);
    expect(w.breaker.snapshot().opens).toBe(1);
  });

  it('a record whose requests never reach the endpoint waits for it without spending its retries', async () => {
    const w = world(() => ({ status: 0, error: 'connect ECONNREFUSED', connectFailed: true }), {
      delivery: { batchSize: 1, maxRetries: 3, circuitBreaker: { probeIntervalMs: 10, maxProbeIntervalMs: 20 } },
    });
    const stop = new AbortController();
    const result = w.processor.process(msgs(1)[0], stop.signal);
    await new Promise((r) => setTimeout(r, 300));
    stop.abort();
    expect(await result).toBe('abandoned');
    expect(w.rows).toEqual([]);
    expect(w.sent.length).toBeGreaterThan(5);
  });

  it('abandoned mid-way: delivered and dead-lettered records are done, the rest abandoned', async () => {
    const stop = new AbortController();
    const w = world((seqs) => {
      if (seqs.includes(1)) return 400;
      if (seqs[0] === 2) stop.abort();
      return 200;
    });
    // [0..7] refused -> [0..3] refused -> [0,1] refused -> [0] ok, [1] 400 -> [2,3] ok as the stop comes -> [4..7] never sent.
    const results = await w.processor.processBatch(msgs(8), stop.signal);
    expect(results).toEqual(['done', 'done', 'done', 'done', 'abandoned', 'abandoned', 'abandoned', 'abandoned']);
    expect(w.rows.map((r) => r.offset)).toEqual([1]);
  });

  it('with item results: dead-letters only the records the response marks, in one request', async () => {
    const w = world((seqs) => ({ status: 200, body: JSON.stringify({ results: seqs.map((s) => (s % 4 === 1 ? 1003 : 0)) }) }), {
      endpoint: { itemResultsPath: '$.results' },
    });
    const results = await w.processor.processBatch(msgs(10), new AbortController().signal);
    expect(results).toEqual(new Array(10).fill('done'));
    expect(w.sent).toHaveLength(1);
    expect(w.rows.map((r) => r.offset)).toEqual([1, 5, 9]);
    expect(w.rows[0]).toMatchObject({ reason: 'rejected', attempts: 1, lastStatus: 200, transformedBody: '{"seq":1}' });
    expect(w.rows[0].lastError).toBe('item result 1003 at $.results[1] is not one of [0] (item 1 of a batch of 10)');
    expect(w.rows[2].lastError).toContain('$.results[9]');
  });

  it('with item results: a response without one per record is retried whole, then dead-letters the array', async () => {
    const w = world(() => ({ status: 200, body: '{"results":[0]}' }), { endpoint: { itemResultsPath: '$.results' } });
    const results = await w.processor.processBatch(msgs(3), new AbortController().signal);
    expect(results).toEqual(['done', 'done', 'done']);
    expect(w.sent).toHaveLength(3);
    expect(w.rows.map((r) => r.reason)).toEqual(new Array(3).fill('retries_exhausted'));
    expect(w.rows[0].lastError).toBe('response lists 1 item results at $.results for 3 records (in a batch of 3)');
  });
});
