import { subscriptionBody, unique } from '../support/fixtures';
import type { ProxyProcess } from '../support/proxy-process';
import type { ReceivedRequest } from '../support/sink-server';
import { TcpCutter } from '../support/tcp-cutter';
import { TEST_DATABASE_URL } from '../support/test-env';
import { useTestWorld } from '../support/test-world';
import { waitFor } from '../support/wait-for';
import { DeliveryLedger, report } from './delivery-ledger';

const PARTITIONS = 2;
const WAVE1 = 400;
const WAVE2 = 3000;
const TOTAL = WAVE1 + WAVE2;
/** With PARTITION_BUFFER_SIZE 50 a partition holds at most ten times that before it pauses. */
const BUFFER = 50;
const WINDOW = 10 * BUFFER;

const seqOf = (q: ReceivedRequest): number => (JSON.parse(q.body) as { seq: number }).seq;
/** On the "held" path every seventh record is refused for good and must be dead-lettered. */
const refused = (seq: number): boolean => seq % 7 === 0;
const record = (seq: number) => ({ value: JSON.stringify({ seq }), partition: seq % PARTITIONS });
/** Records go to partition seq % 2 in order, so a record's offset is seq / 2 rounded down. */
const offsetOf = (seq: number): number => Math.floor(seq / PARTITIONS);

/**
 * Fault scenario 4: the database goes away while records are being dead-lettered. The
 * partitions holding a record that cannot be dead-lettered stop committing at it and pause;
 * another subscription keeps delivering from the config it has; refresh failures are logged
 * once and retried. When the database is back the dead letters are written and commits move.
 * The proxy reaches the database through a TCP forwarder that the test cuts (resetting and
 * refusing connections, as a stopped server would), so the suite's own database stays up.
 */
describe('database outage', () => {
  const t = useTestWorld({
    responder: (q) => (q.path === '/held' && refused(seqOf(q)) ? { status: 422, body: { error: 'no such account' } } : { status: 200 }),
    proxy: false,
  });

  it('holds the dead-lettering partitions, keeps other subscriptions delivering, and catches up when the database returns', async () => {
    const db = new URL(TEST_DATABASE_URL);
    const cutter = await TcpCutter.start(db.hostname, Number(db.port || 3306));
    let started: ProxyProcess | undefined;
    try {
      db.port = String(cutter.port);
      const proxy = await t.world.startProxy({ env: { DATABASE_URL: db.toString(), PARTITION_BUFFER_SIZE: String(BUFFER) } });
      started = proxy;
      const heldTopic = unique('db-held');
      const healthyTopic = unique('db-healthy');
      await t.kafka.createTopic(heldTopic, PARTITIONS);
      await t.kafka.createTopic(healthyTopic, PARTITIONS);
      const wave = (from: number, n: number) => Array.from({ length: n }, (_, i) => record(from + i));
      await t.client.produce(heldTopic, wave(0, WAVE1));
      await t.client.produce(healthyTopic, wave(0, WAVE1));
      const create = async (topic: string, path: string) =>
        (
          await proxy.api(
            'POST',
            '/api/subscriptions',
            subscriptionBody({
              name: unique(path.slice(1)),
              brokers: t.kafka.bootstrap,
              topic,
              url: `${t.sink.url}${path}`,
              delivery: { ordering: 'partition', maxRetries: 0 },
            }),
          )
        ).body;
      const held = await create(heldTopic, '/held');
      const healthy = await create(healthyTopic, '/healthy');
      const committed = (sub: { kafka: { groupId: string } }, topic: string) => t.client.committed(sub.kafka.groupId, topic, PARTITIONS);
      const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
      // Both subscriptions must be past their first assignment before the cut: a partition's start
      // position is recorded in the database when it is first assigned, so one still starting waits for it.
      await waitFor(async () => sum(await committed(held, heldTopic)) === WAVE1, 'the first wave committed', { timeoutMs: 60_000 });
      await waitFor(async () => sum(await committed(healthy, healthyTopic)) === WAVE1, 'the other subscription committed its first wave', {
        timeoutMs: 60_000,
      });

      await cutter.cut();
      const cutAt = Date.now();
      await t.client.produce(heldTopic, wave(WAVE1, WAVE2));
      await t.client.produce(healthyTopic, wave(WAVE1, WAVE2));
      const heldLedger = new DeliveryLedger(t.sink, '/held');
      const healthyLedger = new DeliveryLedger(t.sink, '/healthy');
      await waitFor(() => healthyLedger.distinct() === TOTAL, 'the other subscription to deliver everything with the database down', { timeoutMs: 60_000 });
      // Each held partition commits up to its first record that needs a dead letter, and stops there.
      const holdAt = Array.from({ length: PARTITIONS }, (_, p) => {
        let seq = WAVE1;
        while (seq % PARTITIONS !== p || !refused(seq)) seq++;
        return offsetOf(seq);
      });
      await waitFor(async () => (await committed(held, heldTopic)).every((c, p) => c === holdAt[p]), 'commits to reach the held records', {
        timeoutMs: 30_000,
      });
      await waitFor(() => Date.now() - cutAt >= 6000, 'several config refreshes to fail', { intervalMs: 200 });
      const heldDuringOutage = heldLedger.distinct() - (WAVE1 - Array.from({ length: WAVE1 }, (_, s) => s).filter(refused).length);
      const committedDuringOutage = await committed(held, heldTopic);
      expect(proxy.exitCode).toBeNull();

      await cutter.restore();
      await waitFor(async () => sum(await committed(held, heldTopic)) === TOTAL, 'the held partitions to catch up', { timeoutMs: 60_000 });
      await waitFor(async () => sum(await committed(healthy, healthyTopic)) === TOTAL, 'the other subscription committed', { timeoutMs: 30_000 });

      const rows: Array<{ value: string; reason: string }> = [];
      for (let beforeId: number | undefined; ;) {
        const page = (await proxy.api('GET', `/api/dead-letters?subscriptionId=${held.id}&limit=500${beforeId ? `&beforeId=${beforeId}` : ''}`)).body as Array<{
          id: number;
          value: string;
          reason: string;
        }>;
        rows.push(...page);
        if (page.length < 500) break;
        beforeId = page[page.length - 1].id;
      }
      const deadSeqs = rows.map((r) => (JSON.parse(r.value) as { seq: number }).seq).sort((a, b) => a - b);
      const expectedDead = Array.from({ length: TOTAL }, (_, s) => s).filter(refused);
      const f = heldLedger.figures(TOTAL, new Set(deadSeqs).size);
      const refreshFailures = proxy.logs.filter((l) => l.msg === 'cannot read subscriptions; keeping the consumers as they are and retrying').length;
      const heldWrites = proxy.logs.filter((l) => l.msg === 'dead-letter write failed; holding the record until the database answers').length;
      report(
        'database outage',
        f,
        `other subscription delivered ${healthyLedger.distinct()}/${TOTAL} during the outage; held partitions committed ${committedDuringOutage.join('/')} ` +
          `(held records at ${holdAt.join('/')}), delivered ${heldDuringOutage} of ${WAVE2} new records before pausing; ${heldWrites} held dead-letter writes logged, ${refreshFailures} refresh failure logged`,
      );
      expect(f.lost).toBe(0);
      expect(deadSeqs).toEqual(expectedDead);
      expect(rows.every((r) => r.reason === 'rejected')).toBe(true);
      expect(committedDuringOutage).toEqual(holdAt);
      // Paused: no partition ran more than its window ahead of the record it held.
      expect(heldDuringOutage).toBeLessThanOrEqual(PARTITIONS * WINDOW);
      expect(heldWrites).toBeGreaterThan(0);
      expect(refreshFailures).toBe(1);
      expect(proxy.logs.some((l) => l.msg === 'subscriptions readable again')).toBe(true);
      expect(proxy.exitCode).toBeNull();
    } finally {
      // Stopped while the database is reachable, so its goodbye (instance row) is not held up.
      await cutter.restore().catch(() => undefined);
      await started?.stop();
      await cutter.stop();
    }
  });
});
