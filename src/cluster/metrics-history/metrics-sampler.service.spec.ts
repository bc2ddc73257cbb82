import type { DataSource } from 'typeorm';
import { JsonLogger } from '../../common/logging/json.logger';
import { AppConfig } from '../../config/app.config';
import { MetricsService } from '../../metrics/metrics.service';
import type { ConsumerSupervisor } from '../../runtime/supervisor/consumer-supervisor.service';
import type { ConsumerSnapshot } from '../../runtime/consumers/subscription-consumer';
import { MetricsSampler } from './metrics-sampler.service';

const config = AppConfig.fromEnv({
  DATABASE_URL: 'mysql://u:p@127.0.0.1:3306/kproxy',
  SECRETS_KEY: 'q2k9cS3yq1mJxq0zv8w1bQ2m0f8H3Jm3lC3mV4X7Qm8=',
  INSTANCE_ID: 'host-a',
  METRICS_SAMPLE_INTERVAL_MS: '1000',
});

function world(running: ConsumerSnapshot[]) {
  const calls: Array<{ sql: string; params: unknown[] }> = [];
  let failWith: Error | null = null;
  const dataSource = {
    query: (sql: string, params: unknown[] = []) => {
      calls.push({ sql, params });
      if (failWith) return Promise.reject(failWith);
      return Promise.resolve(sql.startsWith('DELETE') ? { affectedRows: 0 } : {});
    },
  } as unknown as DataSource;
  const lines: string[] = [];
  const metrics = new MetricsService();
  const supervisor = { snapshot: () => running } as unknown as ConsumerSupervisor;
  const sampler = new MetricsSampler(dataSource, supervisor, metrics, config, new JsonLogger('info', (line) => lines.push(line)));
  const inserts = () => calls.filter((c) => c.sql.includes('INSERT INTO metric_samples'));
  return { sampler, metrics, calls, inserts, lines, fail: (err: Error | null) => (failWith = err) };
}

describe('MetricsSampler', () => {
  it('writes one row per running subscription in one INSERT, with its counters, buckets and lag, and prunes past the retention', async () => {
    const w = world([
      { subscriptionId: 3, state: 'running', partitions: [0], lag: 42 },
      { subscriptionId: 4, state: 'stopped', partitions: [], lag: 0 },
    ]);
    const m = w.metrics.forSubscription(3);
    m.consumed();
    m.delivered();
    m.attempt(0.02, true);
    m.attempt(45, false);
    await w.sampler.tick();
    expect(w.inserts()).toHaveLength(1);
    const [row] = [w.inserts()[0].params.slice(0, 11)];
    expect(row[0]).toBe(3);
    expect(row[1]).toBe('host-a');
    expect(row.slice(3)).toEqual([1, 1, 0, 0, 0, '0,0,0,0,1,0,0,0,0,0,0,0,0,0,0', '0,0,0,0,0,0,0,0,0,0,0,0,0,0,1', 42]);
    expect(w.inserts()[0].params).toHaveLength(11);
    const prune = w.calls.find((c) => c.sql.startsWith('DELETE FROM metric_samples'));
    expect(prune?.params).toEqual([3_600_000_000, 5_000]);
  });

  it('keeps writing a subscription that left while its counters move, then stops', async () => {
    const running: ConsumerSnapshot[] = [{ subscriptionId: 5, state: 'running', partitions: [0], lag: 1 }];
    const w = world(running);
    const m = w.metrics.forSubscription(5);
    await w.sampler.tick();
    running.length = 0;
    m.delivered();
    await w.sampler.tick();
    await w.sampler.tick();
    const rows = w.inserts().map((c) => c.params);
    expect(rows).toHaveLength(2);
    expect(rows[1][4]).toBe(1);
    // No longer running here: its lag is unknown.
    expect(rows[1][10]).toBeNull();
  });

  it('logs a failed write once per outage and writes the counters as they are once the database is back', async () => {
    const w = world([{ subscriptionId: 6, state: 'running', partitions: [0], lag: 0 }]);
    const m = w.metrics.forSubscription(6);
    w.fail(new Error('connect ECONNREFUSED'));
    await w.sampler.tick();
    m.delivered();
    await w.sampler.tick();
    expect(w.lines.filter((l) => l.includes('metrics history write failed'))).toHaveLength(1);
    w.fail(null);
    await w.sampler.tick();
    expect(w.lines.filter((l) => l.includes('metrics history written again'))).toHaveLength(1);
    expect(w.inserts().pop()?.params[4]).toBe(1);
  });

  it('never runs two ticks at once', async () => {
    const w = world([{ subscriptionId: 7, state: 'running', partitions: [0], lag: 0 }]);
    await Promise.all([w.sampler.tick(), w.sampler.tick()]);
    expect(w.inserts()).toHaveLength(1);
  });
});
