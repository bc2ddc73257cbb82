import { subscriptionBody, unique } from '../support/fixtures';
import type { ReceivedRequest } from '../support/sink-server';
import { TcpCutter } from '../support/tcp-cutter';
import { useTestWorld } from '../support/test-world';
import { waitFor } from '../support/wait-for';
import { DeliveryLedger, report } from './delivery-ledger';

/** How long the endpoint is down in all: refusing connections for half, answering 503 for the other half. */
const OUTAGE_MS = Number(process.env.OUTAGE_MS ?? 60_000);
const MODES = ['partition', 'key', 'unordered'] as const;
const PARTITIONS = 3;
/** The subscriptions' delivery settings: the defaults (written out), ordering aside. */
const DEFAULTS = { maxRetries: 3, backoffMs: 200, maxBackoffMs: 30_000, maxInFlight: 1 };
/** How long the 429 storm lasts from its first answer: two Retry-After windows. */
const STORM_MS = 8_000;

/** Delivery attempts that failed, per subscription, from kproxy's own histogram. */
async function failedAttempts(api: (m: string, p: string) => Promise<{ body: unknown }>, id: number): Promise<number> {
  const text = (await api('GET', '/metrics')).body as string;
  const m = new RegExp(`kproxy_delivery_duration_seconds_count\\{subscription="${id}",outcome="failure"\\} (\\d+)`).exec(text);
  return m ? Number(m[1]) : 0;
}

/**
 * Fault scenario 8 (issue 16): the business API is down for a minute during a deploy (connections
 * refused, then 503s) while records keep arriving, in each ordering mode, with the default
 * settings. Nothing is lost and nothing is dead-lettered: the circuit breaker opens, records wait
 * instead of spending their retries, a probe goes out on a capped exponential schedule, and
 * everything is delivered soon after the endpoint returns. Requests sent during the outage are
 * counted (probes, not a flood).
 */
describe('endpoint outage', () => {
  let phase: 'up' | 'refusing' | '503' = 'up';
  let stormUntil = 0;
  let stormRequests = 0;
  let slowPhase = false;
  let slowHandling = 0;
  const t = useTestWorld({
    responder: (req) => {
      if (req.path === '/slow') {
        // 20 ms normally; while slow, an endpoint that degrades with load (20 ms alone, 1.3 s at 32 at once).
        const ms = slowPhase ? 20 * (1 + (slowHandling / 4) ** 2) : 20;
        slowHandling++;
        return new Promise((resolve) => setTimeout(() => (slowHandling--, resolve({ status: 200 })), ms));
      }
      if (req.path === '/storm') {
        // The storm starts once delivery runs at full concurrency.
        if (++stormRequests > 50) stormUntil ||= req.at + STORM_MS;
        return req.at < stormUntil ? { status: 429, headers: { 'retry-after': '5' } } : { status: 200 };
      }
      return phase === '503' ? { status: 503, body: { error: 'deploying' } } : { status: 200 };
    },
  });
  let cutter: TcpCutter;

  beforeAll(async () => {
    const url = new URL(t.sink.url);
    cutter = await TcpCutter.start(url.hostname, Number(url.port));
  });
  afterAll(() => cutter?.stop());

  /** An unordered subscription with the default delivery settings, sending to the sink's /<path>. */
  const subscribeUnordered = async (path: string, topic: string, maxInFlight: number) =>
    (
      await t.proxy.api(
        'POST',
        '/api/subscriptions',
        subscriptionBody({
          name: unique(path),
          brokers: t.kafka.bootstrap,
          topic,
          url: `${t.sink.url}/${path}`,
          delivery: { ...DEFAULTS, ordering: 'unordered', maxInFlight },
        }),
      )
    ).body;

  it(
    'dead-letters nothing, loses nothing and sends only probes while the endpoint is down, in every ordering mode',
    async () => {
      const subs: Array<{ mode: (typeof MODES)[number]; topic: string; path: string; id: number; groupId: string; produced: number }> = [];
      for (const mode of MODES) {
        const topic = unique(`outage-${mode}`);
        const path = `/outage-${mode}`;
        await t.kafka.createTopic(topic, PARTITIONS);
        const sub = (
          await t.proxy.api(
            'POST',
            '/api/subscriptions',
            subscriptionBody({
              name: unique(`outage-${mode}`),
              brokers: t.kafka.bootstrap,
              topic,
              url: `http://127.0.0.1:${cutter.port}${path}`,
              endpoint: { timeoutMs: 5000 },
              delivery: { ...DEFAULTS, ordering: mode },
            }),
          )
        ).body;
        subs.push({ mode, topic, path, id: sub.id, groupId: sub.kafka.groupId, produced: 0 });
      }
      // Records keep arriving before, during and after the outage: 30 a second per topic.
      let seq = 0;
      const produceTick = async () => {
        for (const s of subs) {
          const batch = Array.from({ length: 3 }, () => {
            const n = seq++;
            return { value: JSON.stringify({ seq: n }), key: `k${n % 7}`, partition: n % PARTITIONS };
          });
          await t.client.produce(s.topic, batch);
          s.produced += batch.length;
        }
      };
      let producing = true;
      const producer = (async () => {
        while (producing) {
          await produceTick();
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      const committedAll = async () => {
        for (const s of subs) {
          const c = (await t.client.committed(s.groupId, s.topic, PARTITIONS)).reduce((a, b) => a + Math.max(0, b), 0);
          if (c < s.produced) return false;
        }
        return true;
      };

      await new Promise((r) => setTimeout(r, 3_000));
      const before = new Map<number, number>();
      for (const s of subs) before.set(s.id, await failedAttempts(t.proxy.api.bind(t.proxy), s.id));
      const downAt = Date.now();
      await cutter.cut();
      phase = 'refusing';
      await new Promise((r) => setTimeout(r, OUTAGE_MS / 2));
      phase = '503';
      await cutter.restore();
      const statusWhileDown = (await t.proxy.api('GET', `/api/subscriptions/${subs[0].id}/status`)).body as {
        instances: Array<{ endpoint?: { circuit: { state: string; opens: number } } }>;
      };
      await new Promise((r) => setTimeout(r, OUTAGE_MS / 2));
      phase = 'up';
      const upAt = Date.now();
      const seqAtUp = seq;
      const during = new Map<number, number>();
      for (const s of subs) during.set(s.id, (await failedAttempts(t.proxy.api.bind(t.proxy), s.id)) - before.get(s.id)!);
      const producedAtUp = new Map(subs.map((s) => [s.id, s.produced]));
      await new Promise((r) => setTimeout(r, 3_000));
      producing = false;
      await producer;
      await waitFor(committedAll, 'every record committed after the outage', { timeoutMs: 120_000, intervalMs: 250 });

      for (const s of subs) {
        const ledger = new DeliveryLedger(t.sink, s.path);
        const rows = (await t.proxy.api('GET', `/api/dead-letters?subscriptionId=${s.id}&limit=500`)).body as unknown[];
        const f = ledger.figures(s.produced, rows.length);
        const deliveries = ledger.deliveries();
        // When the last record produced before the endpoint came back was delivered.
        const backlog = deliveries.filter((d) => (JSON.parse(d.request.body) as { seq: number }).seq < seqAtUp).map((d) => d.request.at);
        const backlogDone = Math.max(...backlog) - upAt;
        const probes = ledger.requests().filter((q: ReceivedRequest) => q.at >= downAt && q.at < upAt).length;
        report(
          `endpoint down ${OUTAGE_MS / 1000} s (${s.mode})`,
          f,
          `failed attempts during the outage ${during.get(s.id)} (of which answered 503: ${probes}; one breaker serves the three, as they share the origin); the ${producedAtUp.get(s.id)} produced by the time it returned all delivered ${backlogDone} ms after`,
        );
        // Everything waiting when the endpoint returned went out within the probe interval's cap and a drain.
        expect(backlogDone).toBeLessThan(30_000);
        expect(f.lost).toBe(0);
        expect(f.deadLettered).toBe(0);
        // A flood would be hundreds of requests a second; probes are at most one per second or so.
        expect(during.get(s.id)!).toBeLessThan(OUTAGE_MS / 1000 + 20);
      }
      expect(statusWhileDown.instances[0]?.endpoint?.circuit).toMatchObject({ state: expect.stringMatching(/^(open|half_open)$/) });
      const metrics = (await t.proxy.api('GET', '/metrics')).body as string;
      expect(metrics).toMatch(new RegExp(`kproxy_circuit_opens_total\\{subscription="${subs[0].id}"\\} [1-9]`));
      expect(metrics).toContain(`kproxy_circuit_state{subscription="${subs[0].id}",state="closed"} 1`);
    },
    OUTAGE_MS + 240_000,
  );

  it('a 429 storm with Retry-After: 5 holds the whole subscription: no request in the window beyond those in flight, nothing dead-lettered', async () => {
    const topic = unique('storm');
    await t.kafka.createTopic(topic, PARTITIONS);
    const produced = 400;
    await t.client.produce(
      topic,
      Array.from({ length: produced }, (_, n) => ({ value: JSON.stringify({ seq: n }), partition: n % PARTITIONS })),
    );
    const maxInFlight = 8;
    const sub = await subscribeUnordered('storm', topic, maxInFlight);
    await waitFor(
      async () => (await t.client.committed(sub.kafka.groupId, topic, PARTITIONS)).reduce((a, b) => a + Math.max(0, b), 0) === produced,
      'the backlog delivered',
      {
        timeoutMs: 90_000,
        intervalMs: 250,
      },
    );
    const ledger = new DeliveryLedger(t.sink, '/storm');
    const requests = ledger.requests();
    const rows = (await t.proxy.api('GET', `/api/dead-letters?subscriptionId=${sub.id}&limit=500`)).body as unknown[];
    const first429 = requests.find((q) => q.status === 429)!;
    // Requests that arrived inside each Retry-After window opened by a 429, beyond the one that opened it.
    const windows = requests.filter((q) => q.status === 429).map((q) => requests.filter((r) => r.at > q.at && r.at < q.at + 4_900).length);
    const inFirst = windows[0];
    const f = ledger.figures(produced, rows.length);
    report(
      '429 storm, Retry-After 5 s',
      f,
      `${requests.length} requests, ${requests.filter((q) => q.status === 429).length} answered 429; requests inside the first 5 s window: ${inFirst} (in-flight limit ${maxInFlight}); most in any window: ${Math.max(...windows)}`,
    );
    expect(first429).toBeDefined();
    expect(inFirst).toBeLessThanOrEqual(maxInFlight);
    expect(Math.max(...windows)).toBeLessThanOrEqual(maxInFlight);
    expect(f.lost).toBe(0);
    expect(f.deadLettered).toBe(0);
  }, 120_000);

  it('a slow-then-recovering endpoint: the adaptive limit drops while it struggles and recovers, and so does throughput', async () => {
    const topic = unique('slow');
    await t.kafka.createTopic(topic, PARTITIONS);
    const produced = 24_000;
    for (let i = 0; i < produced; i += 4_000) {
      await t.client.produce(
        topic,
        Array.from({ length: 4_000 }, (_, n) => ({ value: JSON.stringify({ seq: i + n }), partition: (i + n) % PARTITIONS })),
      );
    }
    const maxInFlight = 32;
    const sub = await subscribeUnordered('slow', topic, maxInFlight);
    const limits: Array<{ at: number; limit: number }> = [];
    const sampler = setInterval(() => {
      void t.proxy.api('GET', '/metrics').then((res) => {
        const m = new RegExp(`kproxy_inflight_limit\\{subscription="${sub.id}"\\} (\\d+)`).exec(res.body as string);
        if (m) limits.push({ at: Date.now(), limit: Number(m[1]) });
      });
    }, 200);
    const ledger = new DeliveryLedger(t.sink, '/slow');
    const rateIn = (from: number, to: number) => ledger.requests().filter((q) => q.at >= from && q.at < to).length / ((to - from) / 1000);
    const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
    try {
      await waitFor(() => ledger.requests().length > 500, 'delivery under way');
      const undisturbedFrom = Date.now();
      await pause(3_000);
      const undisturbed = rateIn(undisturbedFrom, Date.now());
      slowPhase = true;
      const slowFrom = Date.now();
      await pause(8_000);
      slowPhase = false;
      const recoveredAt = Date.now();
      await pause(6_000);
      const after = rateIn(recoveredAt + 3_000, Date.now());
      const during = limits.filter((l) => l.at > slowFrom + 2_000 && l.at < recoveredAt);
      const lowest = Math.min(...during.map((l) => l.limit));
      const recovered = limits.filter((l) => l.at > recoveredAt + 3_000).map((l) => l.limit);
      const highAfter = Math.max(...recovered);
      const slowRate = rateIn(slowFrom + 2_000, recoveredAt);
      process.stdout.write(
        `[faults] slow-then-recovering endpoint (unordered, maxInFlight ${maxInFlight}): undisturbed ${undisturbed.toFixed(0)} msgs/s; while slow ${slowRate.toFixed(0)} msgs/s at an in-flight limit of ${lowest}–${Math.max(...during.map((l) => l.limit))}; ` +
          `3–6 s after it recovered ${after.toFixed(0)} msgs/s (${((after / undisturbed) * 100).toFixed(0)} %) at a limit up to ${highAfter}\n`,
      );
      expect(lowest).toBeLessThanOrEqual(maxInFlight / 4);
      expect(highAfter).toBeGreaterThanOrEqual(maxInFlight / 2);
      expect(after).toBeGreaterThanOrEqual(0.9 * undisturbed);
    } finally {
      clearInterval(sampler);
      await t.proxy.api('POST', `/api/subscriptions/${sub.id}/stop`);
    }
  }, 180_000);
});
