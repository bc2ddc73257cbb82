import { subscriptionBody, unique } from '../support/fixtures';
import type { ReceivedRequest, SinkReply } from '../support/sink-server';
import { useTestWorld } from '../support/test-world';
import { waitFor } from '../support/wait-for';
import { DeliveryLedger, report } from './delivery-ledger';

const MAX_RETRIES = 3;
const ATTEMPTS = MAX_RETRIES + 1;
const TIMEOUT_MS = 300;
const MAX_BACKOFF_MS = 1500;

/** One behaviour per record, chosen by its sequence number, so the expected outcome is known. */
type Behaviour = 'permanent-4xx' | 'always-500' | 'timeout' | 'retry-after-1s' | 'retry-after-hour' | 'reset' | 'slow' | 'flaky';

function behaviourOf(seq: number): Behaviour {
  const kinds: Behaviour[] = ['permanent-4xx', 'always-500', 'timeout', 'retry-after-1s', 'retry-after-hour', 'reset', 'slow'];
  return kinds[seq % 20] ?? 'flaky';
}

/** A deterministic coin for "30 % of answers are 500": the same record and attempt, the same answer. */
function flakyFails(seq: number, attempt: number): boolean {
  let h = Math.imul(seq + 1, 0x9e3779b1) ^ Math.imul(attempt, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h ^= h >>> 15;
  return (h >>> 0) % 100 < 30;
}

function reply(seq: number, attempt: number): SinkReply {
  switch (behaviourOf(seq)) {
    case 'permanent-4xx':
      return { status: 422, body: { error: 'unknown customer' } };
    case 'always-500':
      return { status: 500, body: { error: 'database is on fire' } };
    case 'timeout':
      // Answers long after the proxy's timeout, then drops the connection: never a response.
      return attempt === 1 ? { delayMs: TIMEOUT_MS * 3, reset: true } : { status: 200 };
    case 'retry-after-1s':
      return attempt === 1 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 };
    case 'retry-after-hour':
      return attempt === 1 ? { status: 503, headers: { 'retry-after': '3600' } } : { status: 200 };
    case 'reset':
      return attempt === 1 ? { reset: true } : { status: 200 };
    case 'slow':
      return { status: 200, delayMs: TIMEOUT_MS / 2 };
    case 'flaky':
      return flakyFails(seq, attempt) ? { status: 500 } : { status: 200 };
  }
}

function expectedDeadLetter(seq: number): 'rejected' | 'retries_exhausted' | null {
  const b = behaviourOf(seq);
  if (b === 'permanent-4xx') return 'rejected';
  if (b === 'always-500') return 'retries_exhausted';
  if (b === 'flaky' && Array.from({ length: ATTEMPTS }, (_, i) => flakyFails(seq, i + 1)).every(Boolean)) return 'retries_exhausted';
  return null;
}

const seqOf = (q: ReceivedRequest): number => (JSON.parse(q.body) as { seq: number }).seq;

/**
 * Fault scenario 2: an endpoint that fails in every way an HTTP service can, one record at a
 * time. Exactly the records that are refused for good or run out of retries are dead-lettered;
 * every other record is delivered; Retry-After is honoured up to maxBackoffMs.
 */
describe('downstream faults', () => {
  const t = useTestWorld({ responder: (q, attempt) => reply(seqOf(q), attempt) });

  it('dead-letters exactly the records that exhaust retries or are refused, and delivers the rest', async () => {
    const topic = unique('downstream');
    const path = '/downstream';
    const partitions = 4;
    const produced = 1200;
    await t.kafka.createTopic(topic, partitions);
    await t.client.produce(
      topic,
      Array.from({ length: produced }, (_, seq) => ({ value: JSON.stringify({ seq }), partition: seq % partitions })),
    );
    const sub = (
      await t.proxy.api(
        'POST',
        '/api/subscriptions',
        subscriptionBody({
          name: unique('downstream'),
          brokers: t.kafka.bootstrap,
          topic,
          url: `${t.sink.url}${path}`,
          endpoint: { timeoutMs: TIMEOUT_MS },
          // Each record's own retries are under test, so the breaker (which would make the records
          // that meet a timeout, reset or 503 wait instead) and the adaptive limit are off; a
          // Retry-After still holds the whole subscription.
          delivery: {
            ordering: 'unordered',
            maxInFlight: 32,
            maxRetries: MAX_RETRIES,
            backoffMs: 20,
            maxBackoffMs: MAX_BACKOFF_MS,
            circuitBreaker: { enabled: false },
            adaptiveConcurrency: false,
          },
        }),
      )
    ).body;
    await waitFor(
      async () => (await t.client.committed(sub.kafka.groupId, topic, partitions)).reduce((a, b) => a + b, 0) === produced,
      'every partition committed to its end',
      { timeoutMs: 120_000, intervalMs: 200 },
    );

    const rows = (await t.proxy.api('GET', `/api/dead-letters?subscriptionId=${sub.id}&limit=500`)).body as Array<{
      value: string;
      reason: string;
      attempts: number;
      lastStatus: number | null;
      lastError: string;
    }>;
    const expected = new Map<number, string>();
    for (let seq = 0; seq < produced; seq++) {
      const reason = expectedDeadLetter(seq);
      if (reason) expected.set(seq, reason);
    }
    const ledger = new DeliveryLedger(t.sink, path);
    const f = ledger.figures(produced, rows.length);
    const requests = ledger.requests();
    const bySeq = new Map<number, ReceivedRequest[]>();
    for (const q of requests) {
      const seq = seqOf(q);
      bySeq.set(seq, [...(bySeq.get(seq) ?? []), q]);
    }
    const gap = (seq: number) => bySeq.get(seq)![1].at - bySeq.get(seq)![0].at;
    const honoured = [...bySeq.keys()].filter((s) => behaviourOf(s) === 'retry-after-1s').map(gap);
    const capped = [...bySeq.keys()].filter((s) => behaviourOf(s) === 'retry-after-hour').map(gap);
    report(
      'downstream faults',
      f,
      `${requests.length} requests; expected dead letters ${expected.size}; Retry-After 1 s waited ${Math.min(...honoured)}–${Math.max(...honoured)} ms, 3600 s capped to ${Math.min(...capped)}–${Math.max(...capped)} ms`,
    );

    expect(f.lost).toBe(0);
    expect(f.duplicates).toBe(0);
    const got = new Map(rows.map((r) => [(JSON.parse(r.value) as { seq: number }).seq, r]));
    expect([...got.keys()].sort((a, b) => a - b)).toEqual([...expected.keys()]);
    for (const [seq, row] of got) {
      expect(row.reason).toBe(expected.get(seq));
      if (row.reason === 'rejected') expect({ attempts: row.attempts, status: row.lastStatus }).toEqual({ attempts: 1, status: 422 });
      else expect(row.attempts).toBe(ATTEMPTS);
      expect(bySeq.get(seq)!.length).toBe(row.attempts);
    }
    for (const seq of bySeq.keys()) if (!expected.has(seq)) expect(bySeq.get(seq)!.some((q) => q.status === 200)).toBe(true);
    for (const ms of honoured) expect(ms).toBeGreaterThanOrEqual(990);
    for (const ms of capped) {
      expect(ms).toBeGreaterThanOrEqual(MAX_BACKOFF_MS - 10);
      expect(ms).toBeLessThan(MAX_BACKOFF_MS + 3000);
    }
  });
});
