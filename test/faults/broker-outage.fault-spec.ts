import { subscriptionBody, unique } from '../support/fixtures';
import { mockBroker, realKafka, useTestWorld, type WorldContext } from '../support/test-world';
import { waitFor } from '../support/wait-for';
import { CommitWatcher } from './commit-watcher';
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

const records = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => from + i).map((seq) => ({ key: `k${seq % 40}`, value: JSON.stringify({ seq }), partition: (seq % 40) % PARTITIONS }));

async function subscribe(t: WorldContext, topic: string, path: string): Promise<{ id: number; kafka: { groupId: string } }> {
  const res = await t.proxy.api(
    'POST',
    '/api/subscriptions',
    subscriptionBody({
      name: unique('outage'),
      brokers: t.kafka.bootstrap,
      topic,
      url: `${t.sink.url}${path}`,
      delivery: { ordering: 'key', maxInFlight: 8 },
    }),
  );
  expect(res.status).toBe(201);
  return res.body;
}

function committedSum(t: WorldContext, groupId: string, topic: string): Promise<number> {
  return t.client.committed(groupId, topic, PARTITIONS).then((c) => c.reduce((a, b) => a + b, 0));
}

/**
 * Fault scenario 3a: the only broker of a real Kafka is killed (kill -9) mid-stream and started
 * again 15 s later on its storage. Consumption resumes, and no committed offset ever passes a
 * record the endpoint has not acknowledged (a watcher reads the group's offsets throughout).
 */
describe('broker outage (real Kafka, a private single node)', () => {
  const t = useTestWorld({ responder: () => ({ status: 200, delayMs: 2 }), kafka: { nodes: 1, name: 'broker-outage' } });
  afterEach(() => CommitWatcher.stopAll());

  it('resumes after the broker was killed for 15 s, and never commits past undone work', async () => {
    const topic = unique('outage');
    const path = '/outage';
    await realKafka(t.kafka).createTopic(topic, PARTITIONS);
    const wave = 6000;
    const produced = 2 * wave;
    await t.client.produce(topic, records(0, wave));
    const ledger = new DeliveryLedger(t.sink, path);
    const sub = await subscribe(t, topic, path);
    const watcher = new CommitWatcher(t.client, ledger, sub.kafka.groupId, topic, PARTITIONS);
    try {
      await waitFor(() => ledger.distinct() >= 1500, 'deliveries under way', { timeoutMs: 60_000 });
      const cluster = realKafka(t.kafka).own();
      await cluster.killNode(1);
      const downAt = Date.now();
      const atDown = ledger.distinct();
      await waitFor(() => Date.now() - downAt >= 15_000, 'the 15 s outage', { intervalMs: 250 });
      const beforeUp = ledger.distinct();
      await cluster.restartNode(1);
      const upAfterMs = Date.now() - downAt;
      await t.client.produce(topic, records(wave, wave));
      await waitFor(async () => (await committedSum(t, sub.kafka.groupId, topic)) === produced, 'every partition committed to its end', {
        timeoutMs: 120_000,
        intervalMs: 250,
      });
      const f = ledger.figures(produced, 0);
      report(
        'broker killed 15 s (real Kafka)',
        f,
        `${atDown} delivered when the broker was killed, ${beforeUp - atDown} more during the outage from what was already fetched; back after ${upAfterMs} ms; ${watcher.samples} offset samples, ${watcher.violations.length} ahead of the endpoint`,
      );
      expect(f.lost).toBe(0);
      expect(watcher.violations).toEqual([]);
      expect(ledger.keyOrderViolations()).toEqual([]);
      expect(t.proxy.exitCode).toBeNull();
    } finally {
      await watcher.stop();
    }
  });
});

/**
 * Fault scenario 3b: OffsetCommit requests fail with coordinator errors mid-stream. On the mock
 * broker: a real broker cannot be made to refuse commits on demand, the mock's request-error
 * injection can. Every failure is logged, counted and retried; nothing is committed early.
 */
describe('refused offset commits (mock broker: request-error injection)', () => {
  const t = useTestWorld({ responder: () => ({ status: 200, delayMs: 2 }), kafka: 'mock' });
  afterEach(() => CommitWatcher.stopAll());

  it('logs, counts and retries refused commits, and never commits past undone work', async () => {
    const topic = unique('commit-errors');
    const path = '/commit-errors';
    await t.kafka.createTopic(topic, PARTITIONS);
    const produced = 6000;
    await t.client.produce(topic, records(0, produced));
    const ledger = new DeliveryLedger(t.sink, path);
    const sub = await subscribe(t, topic, path);
    const watcher = new CommitWatcher(t.client, ledger, sub.kafka.groupId, topic, PARTITIONS);
    try {
      await waitFor(() => ledger.distinct() >= 1000, 'deliveries under way', { timeoutMs: 60_000 });
      await mockBroker(t.kafka).failRequests(
        OFFSET_COMMIT,
        COMMIT_ERRORS.COORDINATOR_NOT_AVAILABLE,
        COMMIT_ERRORS.INVALID_COMMIT_OFFSET_SIZE,
        COMMIT_ERRORS.REQUEST_TIMED_OUT,
        COMMIT_ERRORS.TOPIC_AUTHORIZATION_FAILED,
        COMMIT_ERRORS.REBALANCE_IN_PROGRESS,
        COMMIT_ERRORS.INVALID_COMMIT_OFFSET_SIZE,
      );
      await waitFor(async () => (await committedSum(t, sub.kafka.groupId, topic)) === produced, 'every partition committed to its end', {
        timeoutMs: 120_000,
        intervalMs: 250,
      });
      const f = ledger.figures(produced, 0);
      const metrics = String((await t.proxy.api('GET', '/metrics')).body);
      const commitFailures = Number(/kproxy_commit_failures_total\{subscription="\d+"\} (\d+)/.exec(metrics)?.[1] ?? 0);
      const logged = t.proxy.logs.filter((l) => l.msg === 'offset commit failed; will retry').length;
      report(
        'OffsetCommit errors (mock broker)',
        f,
        `${commitFailures} failed commits counted and retried (${logged} log lines); ${watcher.samples} offset samples, ${watcher.violations.length} ahead of the endpoint`,
      );
      expect(f.lost).toBe(0);
      expect(watcher.violations).toEqual([]);
      expect(commitFailures).toBeGreaterThan(0);
      expect(logged).toBeGreaterThan(0);
      expect(ledger.keyOrderViolations()).toEqual([]);
      expect(t.proxy.exitCode).toBeNull();
    } finally {
      await watcher.stop();
    }
  });
});
