import { DURATION_BUCKETS_SECONDS } from '../duration-buckets';
import { histogramQuantile } from './histogram-quantile';

/** The cumulative counters one history sample holds (SubscriptionCounters' record counts). */
export const SAMPLED_COUNTERS = ['consumed', 'delivered', 'filtered', 'retried', 'deadLettered'] as const;
export type SampledCounter = (typeof SAMPLED_COUNTERS)[number];

/** Buckets of one delivery-duration histogram: one per DURATION_BUCKETS_SECONDS bound, then +Inf. */
export const HISTOGRAM_SLOTS = DURATION_BUCKETS_SECONDS.length + 1;

/** One row of the metrics history: what one instance had counted for one subscription at one time. */
export interface MetricSample {
  instanceId: string;
  /** When the instance's process started (ms since the epoch): counters restart from zero with a new run. */
  run: number;
  /** When it was taken, ms since the epoch (the database's clock). */
  at: number;
  /** Counts since the run started. */
  counters: Record<SampledCounter, number>;
  /** Delivery attempts per duration bucket since the run started, HISTOGRAM_SLOTS each (not cumulative over buckets). */
  success: readonly number[];
  failure: readonly number[];
  /** Records behind on the partitions the instance owned then; null when unknown. */
  lag: number | null;
}

/** One point of the series: what happened in [time, time + seconds). */
export interface MetricPoint {
  /** Start of the step, ISO 8601. */
  time: string;
  /** Length of the step (the last one ends at the newest sample, so it may be shorter). */
  seconds: number;
  /** Records per second, summed over instances; null when no instance sampled the subscription then. */
  deliveredPerSecond: number | null;
  consumedPerSecond: number | null;
  filteredPerSecond: number | null;
  /** Retries plus dead letters per second. */
  errorsPerSecond: number | null;
  /** (retried + deadLettered) / (delivered + retried + deadLettered), 0 to 1; null when none of them happened. */
  errorRate: number | null;
  /** Delivery attempts (successful or not) ended in the step. */
  attempts: number | null;
  /** Median and 99th percentile of the attempts' durations, ms (histogram_quantile over the step's bucket increases); null without attempts. */
  p50Ms: number | null;
  p99Ms: number | null;
  /** Records behind, summed over the instances' latest samples in the step; null when none reported. */
  lag: number | null;
}

export interface SeriesWindow {
  /** Start of the window, ms since the epoch; the first step starts at it rounded down to a whole step. */
  from: number;
  /** Step length, ms (a whole number of sampling intervals). */
  stepMs: number;
  /** How often the instances sample, ms. */
  samplingIntervalMs: number;
}

/** Counter slots: the record counters, then the success and the failure histogram buckets. */
const WIDTH = SAMPLED_COUNTERS.length + 2 * HISTOGRAM_SLOTS;
const SUCCESS_AT = SAMPLED_COUNTERS.length;
const FAILURE_AT = SUCCESS_AT + HISTOGRAM_SLOTS;
/** Samples further apart than this many sampling intervals are a gap in the instance's sampling. */
export const GAP_INTERVALS = 4;

function vector(s: MetricSample): Float64Array {
  const v = new Float64Array(WIDTH);
  SAMPLED_COUNTERS.forEach((name, i) => (v[i] = s.counters[name]));
  for (let i = 0; i < HISTOGRAM_SLOTS; i++) {
    v[SUCCESS_AT + i] = s.success[i] ?? 0;
    v[FAILURE_AT + i] = s.failure[i] ?? 0;
  }
  return v;
}

/**
 * What the counters grew by from sample `a` to sample `b` of one instance. A new run (the
 * process restarted) counts from zero, and so does any single counter that went down (a restart
 * the run column missed): an increase is never negative.
 */
export function increase(a: MetricSample, b: MetricSample): Float64Array {
  const va = vector(a);
  const vb = vector(b);
  const sameRun = a.run === b.run;
  for (let i = 0; i < WIDTH; i++) vb[i] = sameRun && vb[i] >= va[i] ? vb[i] - va[i] : vb[i];
  return vb;
}

/**
 * Rates, error rate, latency quantiles and lag per step from the history samples of one
 * subscription (any instances, any order), the way a Prometheus `rate()` and
 * `histogram_quantile()` would read them:
 * - each instance's samples are taken in time order; the increase between two consecutive ones
 *   (increase(): a restart counts from zero) is spread evenly over the time between them and
 *   shared among the steps it overlaps; the instances' shares are summed per step, and a rate
 *   is that sum over the step's length;
 * - a gap (consecutive samples more than GAP_INTERVALS sampling intervals apart: the instance
 *   did not run the subscription, or could not write) puts the whole increase into the last
 *   sampling interval before the later sample, where the work happened when the subscription
 *   came back; the counts stay whole either way;
 * - an instance's first sample is only the base its later ones count from;
 * - the series ends at the newest sample of the instances still sampling (those whose newest
 *   sample is at most two intervals older than the newest of all), so a step never counts an
 *   instance that has not written it yet as idle.
 * @returns the points from `window.from` (rounded down to a step) to that end; [] without samples
 */
export function buildSeries(samples: readonly MetricSample[], window: SeriesWindow): MetricPoint[] {
  const { stepMs, samplingIntervalMs } = window;
  if (!(stepMs > 0) || !(samplingIntervalMs > 0)) throw new RangeError('stepMs and samplingIntervalMs must be positive');
  const byInstance = new Map<string, MetricSample[]>();
  for (const s of samples) {
    const list = byInstance.get(s.instanceId) ?? [];
    list.push(s);
    byInstance.set(s.instanceId, list);
  }
  if (byInstance.size === 0) return [];
  let newest = -Infinity;
  for (const list of byInstance.values()) {
    list.sort((x, y) => x.at - y.at);
    newest = Math.max(newest, list[list.length - 1].at);
  }
  let end = newest;
  for (const list of byInstance.values()) {
    const last = list[list.length - 1].at;
    if (last >= newest - 2 * samplingIntervalMs) end = Math.min(end, last);
  }
  const start = Math.floor(window.from / stepMs) * stepMs;
  if (end <= start) return [];
  const steps = Math.ceil((end - start) / stepMs);
  const sums = Array.from({ length: steps }, () => new Float64Array(WIDTH));
  const covered = new Array<boolean>(steps).fill(false);
  const lags: Array<number | null> = new Array<number | null>(steps).fill(null);
  const stepOf = (t: number) => Math.floor((t - start) / stepMs);

  for (const list of byInstance.values()) {
    for (let k = 1; k < list.length; k++) {
      const a = list[k - 1];
      const b = list[k];
      const inc = increase(a, b);
      const to = b.at;
      const from = to - a.at > GAP_INTERVALS * samplingIntervalMs ? to - samplingIntervalMs : a.at;
      spread(inc, from, to);
    }
    // Lag is a gauge: each step takes the instance's latest sample in it, or its latest earlier one still within a gap's reach.
    let k = 0;
    for (let i = 0; i < steps; i++) {
      const stepEnd = Math.min(start + (i + 1) * stepMs, end + 1);
      while (k < list.length && list[k].at < stepEnd) k++;
      const latest = list[k - 1];
      if (!latest || latest.lag === null || stepEnd - latest.at > GAP_INTERVALS * samplingIntervalMs) continue;
      lags[i] = (lags[i] ?? 0) + latest.lag;
    }
  }

  /** Shares `inc`, which grew evenly over (from, to], among the steps that interval overlaps. */
  function spread(inc: Float64Array, from: number, to: number): void {
    if (to <= from) {
      if (to >= start && to <= end) add(Math.min(stepOf(to), steps - 1), inc, 1);
      return;
    }
    const lo = Math.max(from, start);
    const hi = Math.min(to, end);
    for (let i = Math.max(0, stepOf(lo)); i < steps && start + i * stepMs < hi; i++) {
      const overlap = Math.min(hi, start + (i + 1) * stepMs) - Math.max(lo, start + i * stepMs);
      if (overlap > 0) add(i, inc, overlap / (to - from));
    }
  }

  function add(i: number, inc: Float64Array, share: number): void {
    covered[i] = true;
    const sum = sums[i];
    for (let j = 0; j < WIDTH; j++) sum[j] += inc[j] * share;
  }

  const points: MetricPoint[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = start + i * stepMs;
    const seconds = (Math.min(t0 + stepMs, end) - t0) / 1000;
    const lag = lags[i];
    if (!covered[i]) {
      points.push({
        time: new Date(t0).toISOString(),
        seconds,
        deliveredPerSecond: null,
        consumedPerSecond: null,
        filteredPerSecond: null,
        errorsPerSecond: null,
        errorRate: null,
        attempts: null,
        p50Ms: null,
        p99Ms: null,
        lag,
      });
      continue;
    }
    const sum = sums[i];
    const count = (name: SampledCounter) => sum[SAMPLED_COUNTERS.indexOf(name)];
    const errors = count('retried') + count('deadLettered');
    const outcomes = count('delivered') + errors;
    const durations = new Float64Array(HISTOGRAM_SLOTS);
    let attempts = 0;
    for (let j = 0; j < HISTOGRAM_SLOTS; j++) {
      durations[j] = sum[SUCCESS_AT + j] + sum[FAILURE_AT + j];
      attempts += durations[j];
    }
    const quantileMs = (q: number) => {
      const v = histogramQuantile(q, DURATION_BUCKETS_SECONDS, durations);
      return v === null ? null : round(v * 1000, 3);
    };
    points.push({
      time: new Date(t0).toISOString(),
      seconds,
      deliveredPerSecond: round(count('delivered') / seconds, 3),
      consumedPerSecond: round(count('consumed') / seconds, 3),
      filteredPerSecond: round(count('filtered') / seconds, 3),
      errorsPerSecond: round(errors / seconds, 3),
      errorRate: outcomes > 0 ? round(errors / outcomes, 4) : null,
      attempts: round(attempts, 3),
      p50Ms: quantileMs(0.5),
      p99Ms: quantileMs(0.99),
      lag,
    });
  }
  return points;
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
