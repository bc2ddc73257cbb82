import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DomainErrorCode } from '../../common/errors/domain-error-code.enum';
import { DomainException } from '../../common/errors/domain.exception';
import { AppConfig } from '../../config/app.config';
import { buildSeries, GAP_INTERVALS, type MetricPoint, type MetricSample } from '../../metrics/history/metric-series';
import { windowMs } from './dto/metrics-query.schema';

/** Points one answer holds at most: a longer window takes steps of several sampling intervals. */
export const MAX_POINTS = 720;

/** GET /api/subscriptions/:id/metrics's answer. */
export interface SubscriptionMetricsSeries {
  subscriptionId: number;
  /** The window asked for ("1h"). */
  window: string;
  /** Start of the first step and end of the last (the newest sample the series counts), ISO 8601. */
  from: string;
  to: string;
  /** How often instances sample (METRICS_SAMPLE_INTERVAL_MS), and the step between points, ms. */
  samplingIntervalMs: number;
  stepMs: number;
  /** Oldest first; empty until the instances running it have sampled it twice. */
  points: MetricPoint[];
}

interface SampleRow {
  instance_id: string;
  run_ms: string | number;
  at_ms: string | number;
  consumed: string | number;
  delivered: string | number;
  filtered: string | number;
  retried: string | number;
  dead_lettered: string | number;
  success_buckets: string;
  failure_buckets: string;
  lag: string | number | null;
}

/** Reads one subscription's metrics history (written by MetricsSampler) as a series of points (buildSeries). */
@Injectable()
export class MetricsHistoryService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {}

  /**
   * Subscription `id`'s delivered/s, error rate, p50/p99 delivery latency and lag per step over
   * the last `window` (see buildSeries for the maths), by the database's clock.
   * @throws DomainException ValidationFailed naming `window` when it is shorter than two
   *   sampling intervals or longer than METRICS_RETENTION_MS
   */
  async series(id: number, window: string): Promise<SubscriptionMetricsSeries> {
    const { sampleIntervalMs, retentionMs } = this.config.metricsHistory;
    const spanMs = windowMs(window);
    if (spanMs < 2 * sampleIntervalMs || spanMs > retentionMs) {
      throw DomainException.forFields(DomainErrorCode.ValidationFailed, [
        {
          path: 'window',
          message: `"${window}" must be between two sampling intervals (${(2 * sampleIntervalMs) / 1000}s, METRICS_SAMPLE_INTERVAL_MS) and the history's retention (${retentionMs / 1000}s, METRICS_RETENTION_MS)`,
        },
      ]);
    }
    const stepMs = Math.max(1, Math.ceil(spanMs / MAX_POINTS / sampleIntervalMs)) * sampleIntervalMs;
    const [{ now_ms }]: Array<{ now_ms: string | number }> = await this.dataSource.query('SELECT ROUND(UNIX_TIMESTAMP(CURRENT_TIMESTAMP(3)) * 1000) AS now_ms');
    const now = Number(now_ms);
    const from = now - spanMs;
    // Rows from before the window too: the first steps' increases count from the sample before them.
    const rows: SampleRow[] = await this.dataSource.query(
      `SELECT instance_id, ROUND(UNIX_TIMESTAMP(instance_started_at) * 1000) AS run_ms, ROUND(UNIX_TIMESTAMP(sampled_at) * 1000) AS at_ms,
              consumed, delivered, filtered, retried, dead_lettered, success_buckets, failure_buckets, lag
       FROM metric_samples WHERE subscription_id = ? AND sampled_at >= FROM_UNIXTIME(?)`,
      [id, (from - stepMs - (GAP_INTERVALS + 1) * sampleIntervalMs) / 1000],
    );
    const points = buildSeries(rows.map(toSample), { from, stepMs, samplingIntervalMs: sampleIntervalMs });
    const last = points[points.length - 1];
    return {
      subscriptionId: id,
      window,
      from: new Date(Math.floor(from / stepMs) * stepMs).toISOString(),
      to: last ? new Date(Date.parse(last.time) + last.seconds * 1000).toISOString() : new Date(now).toISOString(),
      samplingIntervalMs: sampleIntervalMs,
      stepMs,
      points,
    };
  }
}

function toSample(row: SampleRow): MetricSample {
  const buckets = (text: string) => (text ? text.split(',').map(Number) : []);
  return {
    instanceId: row.instance_id,
    run: Number(row.run_ms),
    at: Number(row.at_ms),
    counters: {
      consumed: Number(row.consumed),
      delivered: Number(row.delivered),
      filtered: Number(row.filtered),
      retried: Number(row.retried),
      deadLettered: Number(row.dead_lettered),
    },
    success: buckets(row.success_buckets),
    failure: buckets(row.failure_buckets),
    lag: row.lag === null ? null : Number(row.lag),
  };
}
