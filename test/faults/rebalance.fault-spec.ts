import { subscriptionBody, unique } from '../support/fixtures';
import { useTestWorld } from '../support/test-world';
import { waitFor } from '../support/wait-for';
import { DeliveryLedger, report } from './delivery-ledger';

const PARTITIONS = 4;
const KEYS = 64;
const MAX_IN_FLIGHT = 16;

/**
 * Fault scenario 6: a second instance joins the group mid-stream, takes half the partitions,
 * and leaves again. Nothing is lost and, in key mode, no key's records arrive out of order.
 * Under both group protocols: classic (the members assign) and KIP-848 (the broker assigns).
 * The endpoint answers in 15 ms so the stream lasts long enough on a real broker (about 1k
 * records/s per instance) for the join and the leave to land mid-stream.
 */
describe('rebalance', () => {
  const t = useTestWorld({ responder: () => ({ status: 200, delayMs: 15 }) });

  for (const groupProtocol of ['classic', 'consumer'] as const) {
    it(`key mode, ${groupProtocol} group protocol: an instance joining and leaving mid-stream loses nothing and keeps per-key order`, async () => {
      const topic = unique('rebalance');
      const path = `/rebalance-${groupProtocol}`;
      await t.kafka.createTopic(topic, PARTITIONS);
      const records = (from: number, n: number) =>
        Array.from({ length: n }, (_, i) => from + i).map((seq) => ({
          key: `k${seq % KEYS}`,
          value: JSON.stringify({ seq }),
          partition: (seq % KEYS) % PARTITIONS,
        }));
      const produced = 16_000;
      await t.client.produce(topic, records(0, produced));
      const ledger = new DeliveryLedger(t.sink, path);
      const body = subscriptionBody({
        name: unique('rebalance'),
        brokers: t.kafka.bootstrap,
        topic,
        url: `${t.sink.url}${path}`,
        delivery: { ordering: 'key', maxInFlight: MAX_IN_FLIGHT },
      });
      (body.kafka as Record<string, unknown>).groupProtocol = groupProtocol;
      const created = await t.proxy.api('POST', '/api/subscriptions', body);
      expect(created.status).toBe(201);
      // Earlier cases' subscriptions still run in both processes: only this one's lines count.
      const ours = (l: Record<string, unknown>) => l.subscription === created.body.id;
      const assignedTo = (logs: Array<Record<string, unknown>>) =>
        logs.find((l) => ours(l) && l.msg === 'partitions assigned' && Array.isArray(l.partitions) && l.partitions.length > 0);
      await waitFor(() => ledger.distinct() >= 1500, 'deliveries under way', { timeoutMs: 60_000 });

      const second = await t.world.startProxy();
      let joinedAt = 0;
      let leavingAt = 0;
      let stopMs = 0;
      try {
        await waitFor(() => assignedTo(second.logs), 'the second instance to take partitions', { timeoutMs: 60_000 });
        joinedAt = ledger.distinct();
        await waitFor(() => ledger.distinct() >= joinedAt + 2000, 'both instances delivering', { timeoutMs: 60_000 });
      } finally {
        leavingAt = ledger.distinct();
        const stopping = Date.now();
        await second.stop();
        stopMs = Date.now() - stopping;
      }
      expect(second.logs.some((l) => ours(l) && l.msg === 'consumer stopped')).toBe(true);
      await waitFor(() => ledger.distinct() >= produced, 'every record', { timeoutMs: 120_000 });

      const f = ledger.figures(produced, 0);
      const shares = (assignedTo(second.logs)?.partitions ?? []) as number[];
      report(
        `rebalance: join and leave (key, ${groupProtocol})`,
        f,
        `second instance joined at ${joinedAt} and took partitions ${shares.join(',')}, was stopped at ${leavingAt} (SIGTERM to exit ${stopMs} ms); ${ledger.keyOrderViolations().length} keys out of order`,
      );
      expect(f.lost).toBe(0);
      expect(leavingAt).toBeLessThan(produced);
      expect(shares.length).toBeGreaterThan(0);
      expect(shares.length).toBeLessThan(PARTITIONS);
      expect(t.proxy.logs.filter((l) => ours(l) && l.msg === 'partitions revoked').length).toBeGreaterThanOrEqual(1);
      expect(ledger.keyOrderViolations()).toEqual([]);
    });
  }
});
