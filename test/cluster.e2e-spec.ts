import { DeliveryLedger, coordinates, report, type Figures } from './faults/delivery-ledger';
import { instancesVia, owners, sharedBy, type InstanceView } from './support/cluster-view';
import { subscriptionBody, unique } from './support/fixtures';
import type { KafkaTestClient } from './support/kafka-client';
import type { ProxyProcess } from './support/proxy-process';
import { useTestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

const [A, B, C] = ['node-a', 'node-b', 'node-c'];
/** Short heartbeats so a dead instance is seen as dead within seconds (the session timeout is 6 s). */
const CLUSTER_ENV = { HEARTBEAT_INTERVAL_MS: '500', INSTANCE_TIMEOUT_MS: '3000', RESET_WAIT_TIMEOUT_MS: '20000' };

/**
 * Records produced at a steady pace, round-robin over the partitions, until stopped: the
 * "while records are flowing" of the scenarios. The pace is load, not a wait for anything.
 */
class Stream {
  produced = 0;
  private running = true;
  private readonly loop: Promise<void>;

  constructor(
    private readonly client: KafkaTestClient,
    private readonly topic: string,
    private readonly partitions: number,
    private readonly perTick = 20,
    private readonly tickMs = 50,
  ) {
    this.loop = this.run();
  }

  async stop(): Promise<number> {
    this.running = false;
    await this.loop;
    return this.produced;
  }

  private async run(): Promise<void> {
    while (this.running) {
      const from = this.produced;
      await this.client.produce(
        this.topic,
        Array.from({ length: this.perTick }, (_, i) => ({ value: JSON.stringify({ seq: from + i }), partition: (from + i) % this.partitions })),
      );
      this.produced += this.perTick;
      await new Promise((r) => setTimeout(r, this.tickMs));
    }
  }
}

/**
 * A small cluster: three proxy processes on one database, one broker and one business API.
 * Every scenario counts deliveries by topic/partition/offset and ends with nothing lost.
 */
describe('a small cluster of three instances', () => {
  const t = useTestWorld({ proxy: false, responder: () => ({ status: 200, delayMs: 2 }) });
  const nodes: Record<string, ProxyProcess> = {};
  /** Every (instance, subscription) pair an instance reported running itself, sampled throughout. */
  const seenRunning = new Map<string, Set<number>>();
  let sampler: NodeJS.Timeout | null = null;
  /** The scenario's subscriptions, deleted after it so the next one starts on a quiet cluster. */
  const created: number[] = [];

  beforeAll(async () => {
    const started = await Promise.all([A, B, C].map((instanceId) => t.world.startProxy({ instanceId, env: CLUSTER_ENV })));
    [A, B, C].forEach((id, i) => (nodes[id] = started[i]));
  });

  beforeEach(() => {
    sampler = setInterval(() => void sample(), 200);
  });

  afterEach(async () => {
    if (sampler) clearInterval(sampler);
    for (const id of created.splice(0)) await nodes[A].api('DELETE', `/api/subscriptions/${id}`);
  });

  /** Each instance's own view of itself comes from its supervisor, not from a heartbeat. */
  async function sample(): Promise<void> {
    for (const [id, node] of Object.entries(nodes)) {
      if (node.exitCode !== null) continue;
      try {
        const self = (await instancesVia(node)).find((i) => i.instanceId === id);
        for (const r of self?.running ?? []) {
          if (r.state === 'stopped') continue;
          if (!seenRunning.has(id)) seenRunning.set(id, new Set());
          seenRunning.get(id)!.add(r.subscriptionId);
        }
      } catch {
        // a killed or restarting instance
      }
    }
  }

  /** `hosts` empty: placed on all three (replicas 3), the spread these scenarios are about. */
  async function subscribe(path: string, partitions: number, hosts: string[], via = nodes[A]) {
    const topic = unique(path);
    await t.kafka.createTopic(topic, partitions);
    const res = await via.api('POST', '/api/subscriptions', {
      ...subscriptionBody({ name: unique(path), brokers: t.kafka.bootstrap, topic, url: `${t.sink.url}/${path}` }),
      hosts,
      ...(hosts.length ? {} : { replicas: 3 }),
    });
    expect(res.status).toBe(201);
    const id = (res.body as { id: number }).id;
    created.push(id);
    return { topic, id, ledger: new DeliveryLedger(t.sink, `/${path}`) };
  }

  function produce(topic: string, partitions: number, count: number, from = 0): Promise<void> {
    return t.client.produce(
      topic,
      Array.from({ length: count }, (_, i) => ({ value: JSON.stringify({ seq: from + i }), partition: (from + i) % partitions })),
    );
  }

  const startedOn = (node: ProxyProcess, id: number) => node.logs.some((l) => l.msg === 'consumer started' && l.subscription === id);
  const delivered = (view: InstanceView[], instanceId: string, id: number) =>
    view.find((i) => i.instanceId === instanceId)?.counters?.[String(id)]?.delivered ?? 0;

  /** How many 2xx answers each record got so far, by partition:offset. */
  function counts(ledger: DeliveryLedger): Map<string, number> {
    const out = new Map<string, number>();
    for (const d of ledger.deliveries()) out.set(coordinates(d), (out.get(coordinates(d)) ?? 0) + 1);
    return out;
  }

  /** Figures of a replay: the records answered 2xx again since `before`, and the extra requests among those. */
  function replayFigures(ledger: DeliveryLedger, before: Map<string, number>, produced: number): Figures {
    let requests = 0;
    let records = 0;
    for (const [k, n] of counts(ledger)) {
      const extra = n - (before.get(k) ?? 0);
      requests += extra;
      if (extra > 0) records++;
    }
    return { produced, delivered: records, duplicates: requests - records, deadLettered: 0, lost: produced - records };
  }

  it('pinning: a subscription pinned to one instance runs there only', async () => {
    const partitions = 3;
    const { topic, id, ledger } = await subscribe('pinned', partitions, [A]);
    const produced = 300;
    await produce(topic, partitions, produced);
    await waitFor(() => ledger.distinct() >= produced, 'every record', { timeoutMs: 30_000 });
    await waitFor(async () => sharedBy(await owners(nodes[B], id), [A], partitions), 'B to see A running all partitions');

    const f = ledger.figures(produced, 0);
    report('pinned to A', f, '', 'cluster');
    expect(f.lost).toBe(0);
    // C sees A's counters as of A's last heartbeat.
    const view = await waitFor(async () => {
      const v = await instancesVia(nodes[C]);
      return delivered(v, A, id) >= produced && v;
    }, "A's heartbeat to count every delivery");
    expect(view.filter((i) => i.live).map((i) => i.instanceId)).toEqual([A, B, C]);
    expect(startedOn(nodes[A], id)).toBe(true);
    expect(startedOn(nodes[B], id) || startedOn(nodes[C], id)).toBe(false);
    expect(seenRunning.get(B)?.has(id) ?? false).toBe(false);
    expect(seenRunning.get(C)?.has(id) ?? false).toBe(false);
  });

  it('moving: changing hosts from [A] to [B, C] mid-stream moves the partitions without loss or restart', async () => {
    const partitions = 6;
    const { topic, id, ledger } = await subscribe('moving', partitions, [A]);
    const stream = new Stream(t.client, topic, partitions);
    try {
      await waitFor(() => ledger.distinct() >= 300, 'A delivering', { timeoutMs: 30_000 });
      expect(await owners(nodes[A], id)).toEqual({ [A]: [0, 1, 2, 3, 4, 5] });
      const patched = await nodes[A].api('PATCH', `/api/subscriptions/${id}`, { hosts: [B, C] });
      expect(patched.status).toBe(200);
      expect(patched.body.hosts).toEqual([B, C]);
      const movedAt = ledger.distinct();
      await waitFor(async () => sharedBy(await owners(nodes[A], id), [B, C], partitions), 'B and C to share every partition', { timeoutMs: 30_000 });
      await waitFor(() => ledger.distinct() >= movedAt + 600, 'deliveries after the move', { timeoutMs: 30_000 });
    } finally {
      await stream.stop();
    }
    const produced = stream.produced;
    await waitFor(() => ledger.distinct() >= produced, 'every record', { timeoutMs: 30_000 });

    const f = ledger.figures(produced, 0);
    const owned = await owners(nodes[A], id);
    report('moved from A to B and C', f, `B owns ${owned[B]}, C owns ${owned[C]}`, 'cluster');
    expect(f.lost).toBe(0);
    expect(nodes[A].logs.some((l) => l.msg === 'consumer stopped' && l.subscription === id)).toBe(true);
    // Its stop committed what it had done before closing; the close's revoke has nothing to add.
    expect(
      nodes[A].logs.filter((l) => l.msg === 'commit on revoke failed; a partition handed back starts after what was delivered' && l.subscription === id),
    ).toEqual([]);
    expect((await instancesVia(nodes[A])).find((i) => i.instanceId === A)!.running.some((r) => r.subscriptionId === id)).toBe(false);
    await waitFor(async () => {
      const view = await instancesVia(nodes[A]);
      return delivered(view, B, id) > 0 && delivered(view, C, id) > 0;
    }, 'B and C to report deliveries of their own');
  });

  it('sharing: with no hosts and replicas 3 every instance owns some of the partitions', async () => {
    const partitions = 6;
    const { topic, id, ledger } = await subscribe('shared', partitions, []);
    await produce(topic, partitions, 300);
    await waitFor(async () => sharedBy(await owners(nodes[B], id), [A, B, C], partitions), 'all three to share the partitions', { timeoutMs: 30_000 });
    // Produced once the group is settled, so every instance has records of its own to deliver.
    await produce(topic, partitions, 600, 300);
    const produced = 900;
    await waitFor(() => ledger.distinct() >= produced, 'every record', { timeoutMs: 30_000 });

    const f = ledger.figures(produced, 0);
    const owned = await owners(nodes[C], id);
    report('shared by three', f, [A, B, C].map((n) => `${n} owns ${owned[n]}`).join(', '), 'cluster');
    expect(f.lost).toBe(0);
    await waitFor(async () => {
      const view = await instancesVia(nodes[C]);
      return [A, B, C].every((n) => delivered(view, n, id) > 0);
    }, 'every instance to report deliveries of its own');
  });

  it('reset across instances: replays everywhere, and status/stop/start/reset work from an instance that does not run it', async () => {
    const partitions = 6;
    const { topic, id, ledger } = await subscribe('reset', partitions, []);
    let produced = 600;
    await produce(topic, partitions, produced);
    await waitFor(() => ledger.distinct() >= produced, 'the first pass', { timeoutMs: 30_000 });
    await waitFor(async () => sharedBy(await owners(nodes[A], id), [A, B, C], partitions), 'all three running it');

    const before = counts(ledger);
    const res = await nodes[B].api('POST', `/api/subscriptions/${id}/offsets/reset`, { to: 'earliest', restart: true });
    expect(res.status).toBe(200);
    expect(res.body.partitions).toEqual(Array.from({ length: partitions }, (_, partition) => ({ partition, offset: 0 })));
    await waitFor(() => replayFigures(ledger, before, produced).lost === 0, 'every record again after the reset', { timeoutMs: 40_000 });
    const f1 = replayFigures(ledger, before, produced);
    report('reset to earliest from B, run by all three (the replay)', f1, '', 'cluster');
    expect(f1.lost).toBe(0);

    // Pinned away from C: C now answers for a subscription it does not run.
    await nodes[C].api('PATCH', `/api/subscriptions/${id}`, { hosts: [A, B] });
    await waitFor(async () => sharedBy(await owners(nodes[C], id), [A, B], partitions), 'A and B to share it', { timeoutMs: 30_000 });
    const status = await waitFor(async () => {
      const st = (await nodes[C].api('GET', `/api/subscriptions/${id}/status`)).body;
      return st.partitions?.every((p: { lag: number }) => p.lag === 0) && st;
    }, 'C to report lag 0');
    expect(status.status).toBe('running');
    expect(status.instances.map((i: { instanceId: string }) => i.instanceId).sort()).toEqual([A, B]);
    expect(status.partitions.map((p: { highWatermark: number }) => p.highWatermark).reduce((a: number, b: number) => a + b, 0)).toBe(produced);

    expect((await nodes[C].api('POST', `/api/subscriptions/${id}/stop`)).body.status).toBe('stopped');
    await waitFor(async () => (await nodes[C].api('GET', `/api/subscriptions/${id}/status`)).body.instances.length === 0, 'A and B to stop');
    const stoppedAt = ledger.distinct();
    await produce(topic, partitions, 60, produced);
    produced += 60;
    const lagging = await waitFor(async () => {
      const st = (await nodes[C].api('GET', `/api/subscriptions/${id}/status`)).body;
      return st.partitions.reduce((n: number, p: { lag: number }) => n + p.lag, 0) === 60 && st;
    }, 'the new records to show as lag');
    expect(lagging.instances).toEqual([]);
    expect(ledger.distinct()).toBe(stoppedAt);

    expect((await nodes[C].api('POST', `/api/subscriptions/${id}/start`)).body.status).toBe('running');
    await waitFor(() => ledger.distinct() >= produced, 'the records produced while stopped', { timeoutMs: 30_000 });
    await waitFor(async () => sharedBy(await owners(nodes[C], id), [A, B], partitions), 'A and B running it again');

    const again = counts(ledger);
    const res2 = await nodes[C].api('POST', `/api/subscriptions/${id}/offsets/reset`, { to: 'earliest', restart: true });
    expect(res2.status).toBe(200);
    await waitFor(() => replayFigures(ledger, again, produced).lost === 0, 'every record again after the reset from C', { timeoutMs: 40_000 });
    const f2 = replayFigures(ledger, again, produced);
    report('reset to earliest from C, run by A and B (the replay)', f2, '', 'cluster');
    expect(f2.lost).toBe(0);
    expect(ledger.figures(produced, 0).lost).toBe(0);
  });

  it('killing one instance: it is marked dead and the survivors take over its partitions without loss', async () => {
    const partitions = 6;
    const { topic, id, ledger } = await subscribe('killed', partitions, []);
    const stream = new Stream(t.client, topic, partitions);
    let diedAt = 0;
    let takenOverAfterMs = 0;
    let deadAfterMs = 0;
    try {
      await waitFor(async () => sharedBy(await owners(nodes[A], id), [A, B, C], partitions), 'all three running it', { timeoutMs: 30_000 });
      await waitFor(() => ledger.distinct() >= 300, 'deliveries under way', { timeoutMs: 30_000 });
      diedAt = Date.now();
      await nodes[C].kill();
      await waitFor(async () => (await instancesVia(nodes[A])).find((i) => i.instanceId === C)?.live === false, 'C to be marked dead', { timeoutMs: 10_000 });
      deadAfterMs = Date.now() - diedAt;
      const seen = await instancesVia(nodes[A]);
      // A crash reads as dead (no goodbye), and each instance knows which row is itself.
      expect(seen.find((i) => i.instanceId === C)?.state).toBe('dead');
      expect(seen.filter((i) => i.self).map((i) => i.instanceId)).toEqual([A]);
      await waitFor(async () => sharedBy(await owners(nodes[A], id), [A, B], partitions), 'A and B to take over every partition', { timeoutMs: 30_000 });
      takenOverAfterMs = Date.now() - diedAt;
      const after = ledger.distinct();
      await waitFor(() => ledger.distinct() >= after + 300, 'deliveries after the take-over', { timeoutMs: 30_000 });
    } finally {
      await stream.stop();
    }
    const produced = stream.produced;
    await waitFor(() => ledger.distinct() >= produced, 'every record', { timeoutMs: 30_000 });

    const f = ledger.figures(produced, 0);
    report('one of three killed', f, `C marked dead after ${deadAfterMs} ms, partitions taken over after ${takenOverAfterMs} ms`, 'cluster');
    expect(f.lost).toBe(0);
    const status = (await nodes[B].api('GET', `/api/subscriptions/${id}/status`)).body;
    expect(status.instances.map((i: { instanceId: string }) => i.instanceId).sort()).toEqual([A, B]);

    // The same instance id, restarted, is live again (getting its share back is one more
    // rebalance, as in the sharing scenario, and is not waited for).
    await nodes[C].launch();
    await waitFor(async () => (await instancesVia(nodes[A])).find((i) => i.instanceId === C)?.live === true, 'C to be live again');
  });
});
