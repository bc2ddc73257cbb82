import { subscriptionBody, unique } from '../support/fixtures';
import { useTestWorld } from '../support/test-world';
import { waitFor } from '../support/wait-for';

/**
 * Fault scenario 5: SIGTERM mid-stream. The proxy drains what it started, commits and leaves
 * the group; the next process continues from there without delivering anything twice.
 */
describe('graceful shutdown', () => {
  const t = useTestWorld({ responder: () => new Promise((r) => setTimeout(() => r({ status: 200 }), 3)), proxy: false });

  for (const ordering of ['partition', 'key', 'unordered'] as const) {
    it(`${ordering} mode: SIGTERM mid-stream, restart, nothing lost and nothing twice`, async () => {
      const topic = unique(`term-${ordering}`);
      const path = `/term-${ordering}`;
      await t.kafka.createTopic(topic, 4);
      const produced = 3000;
      await t.client.produce(
        topic,
        Array.from({ length: produced }, (_, seq) => ({ key: `k${seq % 50}`, value: JSON.stringify({ seq }), partition: seq % 4 })),
      );
      // The scenario is about the drain finishing, so give it room on a loaded machine.
      const options = { env: { SHUTDOWN_DRAIN_TIMEOUT_MS: '15000' } };
      const first = await t.world.startProxy(options);
      await first.api(
        'POST',
        '/api/subscriptions',
        subscriptionBody({
          name: unique(`term-${ordering}`),
          brokers: t.kafka.bootstrap,
          topic,
          url: `${t.sink.url}${path}`,
          delivery: { ordering, maxInFlight: 32 },
        }),
      );
      const count = () => t.sink.requests.filter((q) => q.path === path).length;
      await waitFor(() => count() >= 600, 'deliveries under way');
      await first.stop();
      expect(first.logs.some((l) => l.msg === 'consumer stopped')).toBe(true);
      const atStop = count();
      const second = await t.world.startProxy(options);
      try {
        const distinctSoFar = () => new Set(t.sink.requests.filter((q) => q.path === path).map((q) => q.body)).size;
        await waitFor(() => distinctSoFar() >= produced, 'every record', { timeoutMs: 90_000 });
      } finally {
        // A failure here must not leave a member in the group for the next mode's test.
        await second.stop();
      }
      const bodies = t.sink.requests.filter((q) => q.path === path).map((q) => q.body);
      const distinct = new Set(bodies).size;
      process.stdout.write(
        `[faults] graceful shutdown (${ordering}): produced ${produced}, delivered ${distinct}, duplicates ${bodies.length - distinct}, dead-lettered 0, lost ${produced - distinct}; ${atStop} before SIGTERM\n`,
      );
      expect(distinct).toBe(produced);
      expect(bodies.length - distinct).toBe(0);
    });
  }
});
