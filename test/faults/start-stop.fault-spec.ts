import { subscriptionBody, unique } from '../support/fixtures';
import { useTestWorld } from '../support/test-world';
import { waitFor } from '../support/wait-for';
import { DeliveryLedger, report, seededRandom } from './delivery-ledger';

const PARTITIONS = 4;
const ROUNDS = 6;

/**
 * Fault scenario (issue 14): a `latest` subscription stopped and started again and again while
 * records flow, some stops landing while the previous start is still taking up its partitions.
 * `latest` is resolved once, at the first assignment, and committed at once; every record
 * produced after that is delivered whatever the stops: lost 0.
 */
describe('stop and start a latest subscription while records flow', () => {
  const t = useTestWorld({ responder: () => ({ status: 200, delayMs: 1 }), proxy: false });
  const seed = Number(process.env.FAULTS_SEED ?? Date.now() % 100_000);

  for (const groupProtocol of ['classic', 'consumer'] as const) {
    it(`${groupProtocol} protocol: ${ROUNDS} stops and starts lose nothing`, async () => {
      const random = seededRandom(seed + groupProtocol.length);
      const topic = unique(`start-stop-${groupProtocol}`);
      const path = `/${topic}`;
      await t.kafka.createTopic(topic, PARTITIONS);
      // Before the subscription exists: latest means these are never delivered.
      await t.client.produceJson(topic, [{ seq: -1 }, { seq: -2 }]);
      const proxy = await t.world.startProxy();
      const body = subscriptionBody({
        name: unique('start-stop'),
        brokers: t.kafka.bootstrap,
        topic,
        url: `${t.sink.url}${path}`,
        delivery: { maxInFlight: 8, ordering: 'key' },
      });
      Object.assign(body.kafka as Record<string, unknown>, { startFrom: 'latest', groupProtocol });
      const sub = (await proxy.api('POST', '/api/subscriptions', body)).body;
      await waitFor(async () => (await t.client.committed(sub.kafka.groupId, topic, PARTITIONS)).every((o) => o >= 0), 'the start positions committed');

      const ledger = new DeliveryLedger(t.sink, path);
      let produced = 0;
      const produce = async (n: number) => {
        await t.client.produce(
          topic,
          Array.from({ length: n }, (_, i) => ({ key: `k${(produced + i) % 16}`, value: JSON.stringify({ seq: produced + i }) })),
        );
        produced += n;
      };
      try {
        for (let round = 0; round < ROUNDS; round++) {
          await produce(300);
          // Some rounds stop before anything of this round arrived, some after most of it did.
          const progress = Math.floor(produced * (0.5 + 0.5 * random()));
          if (random() < 0.7) await waitFor(() => ledger.distinct() >= progress, `${progress} delivered in round ${round + 1}`, { timeoutMs: 60_000 });
          expect((await proxy.api('POST', `/api/subscriptions/${sub.id}/stop`)).status).toBe(200);
          await produce(200);
          expect((await proxy.api('POST', `/api/subscriptions/${sub.id}/start`)).status).toBe(200);
        }
        await waitFor(() => ledger.distinct() >= produced, 'every record produced after the first assignment', { timeoutMs: 120_000 });
      } finally {
        await proxy.stop();
      }
      const f = ledger.figures(produced, 0);
      report(`stop/start x${ROUNDS} (latest, ${groupProtocol})`, f, `seed ${seed}`);
      expect(f.lost).toBe(0);
      expect(
        ledger
          .deliveries()
          .map((d) => JSON.parse(d.request.body).seq)
          .filter((s: number) => s < 0),
      ).toEqual([]);
      expect(ledger.keyOrderViolations()).toEqual([]);
      // Stops that landed while a start was still deciding its positions closed promptly.
      expect(proxy.logs.filter((l) => String(l.msg).includes('did not close in time'))).toEqual([]);
    });
  }
});
