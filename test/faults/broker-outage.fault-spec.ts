import { subscriptionBody, unique } from '../support/fixtures';
import { describeWithMockBroker, mockBroker, useTestWorld } from '../support/test-world';
import { waitFor } from '../support/wait-for';
import { DeliveryLedger, report } from './delivery-ledger';

const PARTITIONS = 4;
/** Kafka ApiKey of OffsetCommit, and errors a coordinator may answer it with. */
const OFFSET_COMMIT = 8;
const COMMIT_ERRORS = {
  // librdkafka retries these itself.
  REQUEST_TIMED_OUT: 7,
  COORDINATOR_NOT_AVAILABLE: 15,
  // These reach the application's commit callback.
  INVALID_COMMIT_OFFSET_SIZE: 28,
  TOPIC_AUTHORIZATION_FAILED: 29,
  // The member must rejoin: a rebalance in the middle of the stream.
  REBALANCE_IN_PROGRESS: 27,
};

/**
 * Fault scenario 3: the only broker goes away for 15 s mid-stream and comes back, then
 * OffsetCommit requests fail. Consumption resumes, and no committed offset ever passes a
 * record the endpoint has not acknowledged: a watcher reads the group's offsets throughout
 * and checks each against what the sink had answered 2xx by then.
 */
describeWithMockBroker('broker outage', () => {
  const t = useTestWorld({ responder: () => ({ status: 200, delayMs: 2 }) });

  it('resumes after a 15 s outage and commit errors, and never commits past undone work', async () => {
    const topic = unique('outage');
    const path = '/outage';
    await t.kafka.createTopic(topic, PARTITIONS);
    // The topic keeps receiving: a second wave is produced once the broker is back.
    const wave = 6000;
    const produced = 2 * wave;
    const records = (from: number) =>
      Array.from({ length: wave }, (_, i) => from + i).map((seq) => ({ key: `k${seq % 40}`, value: JSON.stringify({ seq }), partition: (seq % 40) % PARTITIONS }));
    await t.client.produce(topic, records(0));
    const ledger = new DeliveryLedger(t.sink, path);
    const sub = (
      await t.proxy.api('POST', '/api/subscriptions', subscriptionBody({
        name: unique('outage'),
        brokers: t.kafka.bootstrap,
        topic,
        url: `${t.sink.url}${path}`,
        delivery: { ordering: 'key', maxInFlight: 8 },
      }))
    ).body;

    const violations: string[] = [];
    let samples = 0;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        try {
          const committed = await t.client.committed(sub.kafka.groupId, topic, PARTITIONS);
          const acked = new Set(ledger.deliveries().map((d) => `${d.partition}:${d.offset}`));
          samples++;
          for (let p = 0; p < PARTITIONS; p++) {
            for (let o = 0; o < committed[p]; o++) {
              if (!acked.has(`${p}:${o}`)) violations.push(`partition ${p} committed ${committed[p]} before offset ${o} was acknowledged`);
            }
          }
        } catch {
          // The broker is down: nothing to read until it returns.
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    try {
      await waitFor(() => ledger.distinct() >= 1500, 'deliveries under way', { timeoutMs: 60_000 });
      await mockBroker(t.kafka).brokerDown();
      const downAt = Date.now();
      const atDown = ledger.distinct();
      await waitFor(() => Date.now() - downAt >= 15_000, 'the 15 s outage', { intervalMs: 250 });
      const beforeUp = ledger.distinct();
      await mockBroker(t.kafka).brokerUp();
      await t.client.produce(topic, records(wave));
      await waitFor(() => ledger.distinct() >= wave + 500, 'consumption to resume after the outage', { timeoutMs: 60_000 });
      await mockBroker(t.kafka).failRequests(
        OFFSET_COMMIT,
        COMMIT_ERRORS.COORDINATOR_NOT_AVAILABLE,
        COMMIT_ERRORS.INVALID_COMMIT_OFFSET_SIZE,
        COMMIT_ERRORS.REQUEST_TIMED_OUT,
        COMMIT_ERRORS.TOPIC_AUTHORIZATION_FAILED,
        COMMIT_ERRORS.REBALANCE_IN_PROGRESS,
        COMMIT_ERRORS.INVALID_COMMIT_OFFSET_SIZE,
      );
      await waitFor(
        async () => (await t.client.committed(sub.kafka.groupId, topic, PARTITIONS)).reduce((a, b) => a + b, 0) === produced,
        'every partition committed to its end',
        { timeoutMs: 120_000, intervalMs: 250 },
      );
      const f = ledger.figures(produced, 0);
      const metrics = String((await t.proxy.api('GET', '/metrics')).body);
      const commitFailures = Number(/kproxy_commit_failures_total\{subscription="\d+"\} (\d+)/.exec(metrics)?.[1] ?? 0);
      const logged = t.proxy.logs.filter((l) => l.msg === 'offset commit failed; will retry').length;
      report(
        'broker outage 15 s + OffsetCommit errors',
        f,
        `${atDown} delivered when the broker went down, ${beforeUp - atDown} more during the outage from what was already fetched; ${commitFailures} failed commits counted and retried (${logged} log lines); ${samples} offset samples, ${violations.length} ahead of the endpoint`,
      );
      expect(f.lost).toBe(0);
      expect(violations).toEqual([]);
      expect(commitFailures).toBeGreaterThan(0);
      expect(logged).toBeGreaterThan(0);
      expect(ledger.keyOrderViolations()).toEqual([]);
      expect(t.proxy.exitCode).toBeNull();
    } finally {
      watching = false;
      await watcher;
    }
  });
});
