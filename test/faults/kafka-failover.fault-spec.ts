import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { subscriptionBody, unique } from '../support/fixtures';
import { ROOT } from '../support/test-env';
import { realKafka, useTestWorld, type WorldContext } from '../support/test-world';
import { waitFor } from '../support/wait-for';
import { CommitWatcher } from './commit-watcher';
import { DeliveryLedger, report } from './delivery-ledger';

const PARTITIONS = 6;
const KEYS = 60;
const WAVE = 4000;

const records = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => from + i).map((seq) => ({ key: `k${seq % KEYS}`, value: JSON.stringify({ seq }), partition: (seq % KEYS) % PARTITIONS }));

/** One scenario's stream: a topic, a key-ordered subscription, a ledger and a commit watcher. */
class Stream {
  produced = 0;

  private constructor(
    private readonly t: WorldContext,
    readonly topic: string,
    readonly groupId: string,
    readonly ledger: DeliveryLedger,
    readonly watcher: CommitWatcher,
  ) {}

  static async open(t: WorldContext, name: string, groupProtocol: 'classic' | 'consumer' = 'classic'): Promise<Stream> {
    const topic = unique(name);
    const path = `/${topic}`;
    await realKafka(t.kafka).createTopic(topic, PARTITIONS);
    const body = subscriptionBody({
      name: topic,
      brokers: t.kafka.bootstrap,
      topic,
      url: `${t.sink.url}${path}`,
      delivery: { ordering: 'key', maxInFlight: 8 },
    });
    (body.kafka as Record<string, unknown>).groupProtocol = groupProtocol;
    const res = await t.proxy.api('POST', '/api/subscriptions', body);
    expect(res.status).toBe(201);
    const ledger = new DeliveryLedger(t.sink, path);
    return new Stream(t, topic, res.body.kafka.groupId, ledger, new CommitWatcher(t.client, ledger, res.body.kafka.groupId, topic, PARTITIONS));
  }

  async produce(n: number): Promise<void> {
    await this.t.client.produce(this.topic, records(this.produced, n));
    this.produced += n;
  }

  delivered(): number {
    return this.ledger.distinct();
  }

  /** Waits until every record produced was delivered and every partition committed to its end. */
  async drain(): Promise<void> {
    await waitFor(
      async () => {
        if (this.delivered() < this.produced) return false;
        const committed = await this.t.client.committed(this.groupId, this.topic, PARTITIONS);
        return committed.reduce((a, b) => a + b, 0) === this.produced;
      },
      `all ${this.produced} records delivered and committed`,
      { timeoutMs: 180_000, intervalMs: 250 },
    );
  }

  /** Stops the watcher, prints the figures and checks them: nothing lost, nothing committed early, key order. */
  async finish(scenario: string, notes: string): Promise<void> {
    await this.watcher.stop();
    const f = this.ledger.figures(this.produced, 0);
    const commitFailures = this.t.proxy.logs.filter((l) => l.msg === 'offset commit failed; will retry' && l.topic === this.topic);
    const codes = [...new Set(commitFailures.map((l) => String(l.code ?? l.err)))].join('/');
    report(
      scenario,
      f,
      `${notes}; ${commitFailures.length} failed commits logged${codes ? ` (${codes})` : ''}; ${this.watcher.samples} offset samples, ${this.watcher.violations.length} ahead of the endpoint`,
    );
    if (this.watcher.violations.length || process.env.FAILOVER_DUMP) {
      // For the post-mortem: the proxy's own account of this topic.
      mkdirSync(join(ROOT, 'test-output'), { recursive: true });
      writeFileSync(
        join(ROOT, 'test-output', `failover-${this.topic}.log`),
        this.t.proxy.logs
          .filter((l) => l.topic === this.topic)
          .map((l) => JSON.stringify(l))
          .join('\n'),
      );
    }
    expect(f.lost).toBe(0);
    expect(this.watcher.violations).toEqual([]);
    expect(this.ledger.keyOrderViolations()).toEqual([]);
    expect(this.t.proxy.exitCode).toBeNull(); // a crash by signal counts too (139 for a segfault)
  }
}

/**
 * What only a real cluster shows: a three-node KRaft cluster (replication factor 3,
 * min.insync.replicas 2) loses brokers under a running subscription. Each scenario streams
 * keyed records, breaks the cluster mid-stream, produces more while it is broken, and checks
 * that every record arrives (lost 0), no commit passes an unacknowledged record, and per-key
 * order holds; duplicates are reported.
 */
describe('Kafka failover (a private three-node cluster)', () => {
  const t = useTestWorld({ responder: () => ({ status: 200, delayMs: 1 }), kafka: { nodes: 3, name: 'failover' } });

  // Each scenario starts from a whole cluster, even after one that failed half-way.
  afterEach(async () => {
    await CommitWatcher.stopAll();
    const cluster = realKafka(t.kafka).own();
    for (const node of cluster.nodes) {
      if (!cluster.isRunning(node.id)) await cluster.restartNode(node.id);
      else cluster.resumeNode(node.id);
    }
  }, 120_000);

  /** Streams, kills (kill -9) the node `victim` names once deliveries are under way, produces more, drains, restarts it. */
  async function killMidStream(s: Stream, victim: () => Promise<number>): Promise<string> {
    const cluster = realKafka(t.kafka).own();
    await s.produce(WAVE);
    await waitFor(() => s.delivered() >= 1000, 'deliveries under way', { timeoutMs: 60_000 });
    const node = await victim();
    await cluster.killNode(node);
    const atKill = s.delivered();
    await s.produce(WAVE);
    await s.drain();
    await cluster.restartNode(node);
    return `node ${node} killed at ${atKill} delivered`;
  }

  it('kill -9 of the leader of a partition mid-stream loses nothing', async () => {
    const s = await Stream.open(t, 'leader-kill');
    const notes = await killMidStream(s, async () => (await realKafka(t.kafka).leaders(s.topic))[0]);
    await s.finish('leader of partition 0 killed (3 nodes)', notes);
  });

  for (const groupProtocol of ['classic', 'consumer'] as const) {
    it(`kill -9 of the group coordinator mid-stream loses nothing (${groupProtocol} group protocol)`, async () => {
      const s = await Stream.open(t, `coordinator-kill-${groupProtocol}`, groupProtocol);
      const notes = await killMidStream(s, () => realKafka(t.kafka).coordinator(s.groupId));
      await s.finish(`group coordinator killed, ${groupProtocol} protocol (3 nodes)`, notes);
    });
  }

  it('a rolling restart of all three brokers under load loses nothing', async () => {
    const cluster = realKafka(t.kafka).own();
    const s = await Stream.open(t, 'rolling');
    await s.produce(WAVE);
    const steps: string[] = [];
    for (const node of cluster.nodes) {
      await waitFor(() => s.delivered() >= s.produced - WAVE / 2, 'deliveries under way', { timeoutMs: 60_000 });
      // As an operator would: the next broker goes only once every replica is back in sync.
      await waitFor(() => realKafka(t.kafka).fullyReplicated(s.topic), 'every replica in sync', { timeoutMs: 60_000 });
      const started = Date.now();
      await cluster.stopNode(node.id);
      await s.produce(WAVE / 2);
      await cluster.restartNode(node.id);
      steps.push(`node ${node.id} ${Date.now() - started} ms`);
      await s.produce(WAVE / 2);
    }
    await s.drain();
    await s.finish('rolling restart of 3 brokers', steps.join(', '));
  });

  it('a broker frozen (SIGSTOP) for longer than the session timeout, then resumed, loses nothing', async () => {
    const cluster = realKafka(t.kafka).own();
    const s = await Stream.open(t, 'frozen');
    await s.produce(WAVE);
    await waitFor(() => s.delivered() >= 1000, 'deliveries under way', { timeoutMs: 60_000 });
    const coordinator = await realKafka(t.kafka).coordinator(s.groupId);
    cluster.pauseNode(coordinator);
    const frozenAt = Date.now();
    const atFreeze = s.delivered();
    try {
      await s.produce(WAVE);
      // Longer than the proxy's session timeout (6 s) and the controller's broker session (9 s).
      await waitFor(() => Date.now() - frozenAt >= 15_000, 'the 15 s freeze', { intervalMs: 250 });
    } finally {
      cluster.resumeNode(coordinator);
    }
    const duringFreeze = s.delivered() - atFreeze;
    await s.drain();
    await s.finish('group coordinator frozen 15 s (3 nodes)', `node ${coordinator} frozen at ${atFreeze} delivered, ${duringFreeze} delivered while frozen`);
  });
});
