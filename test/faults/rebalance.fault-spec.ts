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
 */
describe('rebalance', () => {
  const t = useTestWorld({ responder: () => ({ status: 200, delayMs: 2 }) });

  it('key mode: an instance joining and leaving mid-stream loses nothing and keeps per-key order', async () => {
    const topic = unique('rebalance');
    const path = '/rebalance';
    await t.kafka.createTopic(topic, PARTITIONS);
    const produced = 12_000;
    await t.client.produce(
      topic,
      Array.from({ length: produced }, (_, seq) => ({ key: `k${seq % KEYS}`, value: JSON.stringify({ seq }), partition: (seq % KEYS) % PARTITIONS })),
    );
    const ledger = new DeliveryLedger(t.sink, path);
    await t.proxy.api('POST', '/api/subscriptions', subscriptionBody({
      name: unique('rebalance'),
      brokers: t.kafka.bootstrap,
      topic,
      url: `${t.sink.url}${path}`,
      delivery: { ordering: 'key', maxInFlight: MAX_IN_FLIGHT },
    }));
    await waitFor(() => ledger.distinct() >= 1500, 'deliveries under way', { timeoutMs: 60_000 });

    const second = await t.world.startProxy();
    let joinedAt = 0;
    let leftAt = 0;
    try {
      const assigned = () => second.logs.find((l) => l.msg === 'partitions assigned' && Array.isArray(l.partitions) && l.partitions.length > 0);
      await waitFor(assigned, 'the second instance to take partitions', { timeoutMs: 60_000 });
      joinedAt = ledger.distinct();
      await waitFor(() => ledger.distinct() >= joinedAt + 2000, 'both instances delivering', { timeoutMs: 60_000 });
    } finally {
      await second.stop();
    }
    leftAt = ledger.distinct();
    expect(second.logs.some((l) => l.msg === 'consumer stopped')).toBe(true);
    await waitFor(() => ledger.distinct() >= produced, 'every record', { timeoutMs: 120_000 });

    const f = ledger.figures(produced, 0);
    const shares = (second.logs.find((l) => l.msg === 'partitions assigned' && Array.isArray(l.partitions) && l.partitions.length > 0)?.partitions ?? []) as number[];
    report(
      'rebalance: join and leave (key)',
      f,
      `second instance joined at ${joinedAt} and took partitions ${shares.join(',')}, left at ${leftAt}; ${ledger.keyOrderViolations().length} keys out of order`,
    );
    expect(f.lost).toBe(0);
    expect(shares.length).toBeGreaterThan(0);
    expect(shares.length).toBeLessThan(PARTITIONS);
    expect(t.proxy.logs.filter((l) => l.msg === 'partitions revoked').length).toBeGreaterThanOrEqual(1);
    expect(ledger.keyOrderViolations()).toEqual([]);
  });
});
