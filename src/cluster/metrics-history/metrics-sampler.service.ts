import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { JsonLogger } from '../../common/logging/json.logger';
import { AppConfig } from '../../config/app.config';
import { MetricsService } from '../../metrics/metrics.service';
import type { SubscriptionMetrics } from '../../metrics/subscription-metrics';
import { ConsumerSupervisor } from '../../runtime/supervisor/consumer-supervisor.service';

/** Rows per INSERT: 12 placeholders each, well under the protocol's 65,535. */
const ROWS_PER_INSERT = 2_000;
/** Rows one prune statement deletes at most, and statements per prune (the rest waits for the next). */
const PRUNE_BATCH = 5_000;
const PRUNE_BATCHES = 10;
/** How often an instance prunes, ms (every instance does; each delete is bounded). */
const PRUNE_EVERY_MS = 60_000;

/**
 * Writes the metrics history (table metric_samples, read by GET /api/subscriptions/:id/metrics):
 * every METRICS_SAMPLE_INTERVAL_MS, one row per subscription this instance runs, or whose
 * counters moved since its last row, with its cumulative counters, delivery-duration histogram
 * and lag, in one multi-row INSERT stamped by the database's clock; and deletes rows older than
 * METRICS_RETENTION_MS in bounded batches. A failed write is logged once per outage and the next
 * tick writes the counters as they are then (they are cumulative, so nothing is lost). Ticks
 * never overlap and never wait on the data path: the counters are read as plain numbers.
 */
@Injectable()
export class MetricsSampler implements BeforeApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private failing = false;
  private lastPrune = 0;
  private readonly startedAt = new Date();
  /** Per subscription, the counters its last written row held ("consumed,delivered,...,attempts"). */
  private readonly written = new Map<number, string>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly supervisor: ConsumerSupervisor,
    private readonly metrics: MetricsService,
    private readonly config: AppConfig,
    private readonly logger: JsonLogger,
  ) {}

  /** Starts the ticks (the first after one interval, once consumers have started). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.config.metricsHistory.sampleIntervalMs);
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One sample and, when due, one prune; skipped while the previous tick still runs. */
  tick(): Promise<void> {
    if (this.running) return this.running;
    this.running = this.sampleAndPrune().finally(() => (this.running = null));
    return this.running;
  }

  private async sampleAndPrune(): Promise<void> {
    try {
      await this.write();
      if (Date.now() - this.lastPrune >= PRUNE_EVERY_MS) {
        this.lastPrune = Date.now();
        await this.prune();
      }
      if (this.failing) this.logger.info('metrics history written again', { instanceId: this.config.instanceId });
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.logger.warn('metrics history write failed; retrying every sampling interval', { err: (err as Error).message });
      this.failing = true;
    }
  }

  private async write(): Promise<void> {
    const lagById = new Map<number, number>();
    for (const c of this.supervisor.snapshot()) if (c.state !== 'stopped') lagById.set(c.subscriptionId, c.lag ?? 0);
    const rows: unknown[][] = [];
    const signatures = new Map<number, string>();
    const handles = new Map<number, SubscriptionMetrics>();
    for (const m of this.metrics.all()) handles.set(Number(m.subscription), m);
    for (const id of new Set([...lagById.keys(), ...handles.keys()])) {
      const m = handles.get(id);
      const c = m?.counters;
      const signature = m
        ? `${m.counters.consumed},${m.counters.delivered},${m.counters.filtered},${m.counters.retried},${m.counters.deadLettered},${m.success.count},${m.failure.count}`
        : '0,0,0,0,0,0,0';
      const lag = lagById.get(id);
      // A subscription no longer running here is written while its counters still move (its last deliveries drain).
      if (lag === undefined && this.written.get(id) === signature) continue;
      signatures.set(id, signature);
      rows.push([
        id,
        this.config.instanceId,
        this.startedAt,
        c?.consumed ?? 0,
        c?.delivered ?? 0,
        c?.filtered ?? 0,
        c?.retried ?? 0,
        c?.deadLettered ?? 0,
        m ? Array.from(m.success.counts).join(',') : '',
        m ? Array.from(m.failure.counts).join(',') : '',
        lag ?? null,
      ]);
    }
    for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
      const chunk = rows.slice(i, i + ROWS_PER_INSERT);
      await this.dataSource.query(
        `INSERT INTO metric_samples
           (subscription_id, instance_id, instance_started_at, consumed, delivered, filtered, retried, dead_lettered, success_buckets, failure_buckets, lag, sampled_at)
         VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP(3))').join(', ')}`,
        chunk.flat(),
      );
    }
    for (const [id, signature] of signatures) this.written.set(id, signature);
    for (const id of this.written.keys()) if (!handles.has(id) && !lagById.has(id)) this.written.delete(id);
  }

  /** Deletes rows past the retention, at most PRUNE_BATCH per statement and PRUNE_BATCHES statements. */
  private async prune(): Promise<void> {
    for (let i = 0; i < PRUNE_BATCHES; i++) {
      const res = await this.dataSource.query(
        'DELETE FROM metric_samples WHERE sampled_at < CURRENT_TIMESTAMP(3) - INTERVAL ? MICROSECOND ORDER BY sampled_at LIMIT ?',
        [this.config.metricsHistory.retentionMs * 1000, PRUNE_BATCH],
      );
      if (res.affectedRows < PRUNE_BATCH) return;
    }
  }
}
