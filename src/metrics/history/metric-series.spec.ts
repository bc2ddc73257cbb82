import { DURATION_BUCKETS_SECONDS } from '../duration-buckets';
import { buildSeries, HISTOGRAM_SLOTS, increase, type MetricSample } from './metric-series';

const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const S = 1000;

/** A sample of `instance` at T0 + seconds, with `delivered` (and optional others) since its run began. */
function sample(
  instance: string,
  seconds: number,
  c: { delivered?: number; retried?: number; deadLettered?: number; consumed?: number; run?: number; lag?: number | null; fast?: number; slow?: number },
): MetricSample {
  const success = new Array<number>(HISTOGRAM_SLOTS).fill(0);
  // "fast" attempts took ≤ 10 ms (bucket 0.01), "slow" ones ≤ 250 ms (bucket 0.25).
  success[DURATION_BUCKETS_SECONDS.indexOf(0.01)] = c.fast ?? 0;
  success[DURATION_BUCKETS_SECONDS.indexOf(0.25)] = c.slow ?? 0;
  return {
    instanceId: instance,
    run: c.run ?? 1,
    at: T0 + seconds * S,
    counters: {
      consumed: c.consumed ?? c.delivered ?? 0,
      delivered: c.delivered ?? 0,
      filtered: 0,
      retried: c.retried ?? 0,
      deadLettered: c.deadLettered ?? 0,
    },
    success,
    failure: new Array<number>(HISTOGRAM_SLOTS).fill(0),
    lag: c.lag === undefined ? 0 : c.lag,
  };
}

const window = { from: T0, stepMs: 10 * S, samplingIntervalMs: 10 * S };

describe('buildSeries', () => {
  it('turns one instance counter differences into rates per step', () => {
    const points = buildSeries(
      [sample('a', 0, { delivered: 100 }), sample('a', 10, { delivered: 150 }), sample('a', 20, { delivered: 350, retried: 10, deadLettered: 40 })],
      window,
    );
    expect(points.map((p) => [p.time, p.seconds, p.deliveredPerSecond, p.errorsPerSecond, p.errorRate])).toEqual([
      ['2026-12-01T10:00:00.000Z', 10, 5, 0, 0],
      ['2026-12-01T10:00:10.000Z', 10, 20, 5, 0.2],
    ]);
  });

  it('counts a restarted instance from zero, whether its run changed or only its counters went down', () => {
    const byRun = buildSeries([sample('a', 0, { delivered: 500 }), sample('a', 10, { delivered: 30, run: 2 })], window);
    expect(byRun[0].deliveredPerSecond).toBe(3);
    // Same run recorded, yet the counter went down: still from zero, never negative.
    const byDrop = buildSeries([sample('a', 0, { delivered: 500, retried: 4 }), sample('a', 10, { delivered: 30, retried: 6 })], window);
    expect(byDrop[0].deliveredPerSecond).toBe(3);
    expect(byDrop[0].errorsPerSecond).toBe(0.2);
    // A new run whose counters already passed the old ones is still counted from zero.
    const passed = buildSeries([sample('a', 0, { delivered: 10 }), sample('a', 10, { delivered: 40, run: 2 })], window);
    expect(passed[0].deliveredPerSecond).toBe(4);
  });

  it('sums several instances sampled at different moments, sharing each increase among the steps it overlaps', () => {
    const samples = [
      sample('a', 0, { delivered: 0 }),
      sample('a', 10, { delivered: 100 }),
      sample('a', 20, { delivered: 200 }),
      // b samples 5 s later than a, at 4/s.
      sample('b', 5, { delivered: 0 }),
      sample('b', 15, { delivered: 40 }),
      sample('b', 25, { delivered: 80 }),
    ];
    const points = buildSeries(samples, window);
    // b's first interval (5-15 s) is half in the first step, which it covers only from 5 s on.
    expect(points.map((p) => p.deliveredPerSecond)).toEqual([12, 14]);
    // The series ends at the newest sample of the instances still sampling (a at 20 s): b's last
    // increase counts half in [10, 20) and the rest waits for the step it belongs to.
    expect(points).toHaveLength(2);
    const total = points.reduce((n, p) => n + (p.deliveredPerSecond ?? 0) * p.seconds, 0);
    expect(total).toBe(100 + 100 + 40 + 20);
  });

  it('puts the increase of a gap into the last interval before it ends, and leaves the steps in between empty', () => {
    const points = buildSeries([sample('a', 0, { delivered: 0 }), sample('a', 10, { delivered: 10 }), sample('a', 70, { delivered: 610 })], window);
    expect(points.map((p) => p.deliveredPerSecond)).toEqual([1, null, null, null, null, null, 60]);
    // Lag too: the last sample is more than a gap's reach before those steps end.
    expect(points[5].lag).toBeNull();
  });

  it('spreads a short gap (a missed write) evenly over it', () => {
    const points = buildSeries([sample('a', 0, { delivered: 0 }), sample('a', 30, { delivered: 300 })], window);
    expect(points.map((p) => p.deliveredPerSecond)).toEqual([10, 10, 10]);
  });

  it('leaves out an instance that stopped sampling when it decides where the series ends', () => {
    const points = buildSeries(
      [sample('gone', 0, { delivered: 0 }), sample('gone', 10, { delivered: 50 }), sample('a', 0, { delivered: 0 }), sample('a', 60, { delivered: 60 })],
      { ...window, samplingIntervalMs: 20 * S },
    );
    expect(points).toHaveLength(6);
    expect(points.map((p) => p.deliveredPerSecond)).toEqual([6, 1, 1, 1, 1, 1]);
  });

  it('computes p50 and p99 from the histogram bucket increases of the step, over all instances', () => {
    const points = buildSeries(
      [
        sample('a', 0, { fast: 1000, slow: 1000 }),
        sample('a', 10, { fast: 1090, slow: 1010 }),
        sample('b', 0, { fast: 0 }),
        sample('b', 10, { fast: 0, slow: 0 }),
      ],
      window,
    );
    // 90 attempts ≤ 10 ms and 10 in (100, 250] ms: the median interpolates in (5, 10] ms, the 99th in (100, 250] ms.
    expect(points[0].attempts).toBe(100);
    expect(points[0].p50Ms).toBeCloseTo(5 + 5 * (50 / 90), 3);
    expect(points[0].p99Ms).toBeCloseTo(100 + 150 * (9 / 10), 3);
  });

  it('answers null latency without attempts, sums the latest lag of each instance, and nothing without samples', () => {
    const points = buildSeries(
      [
        sample('a', 0, { lag: 5 }),
        sample('a', 4, { lag: 7 }),
        sample('a', 10, { lag: 3 }),
        sample('a', 20, { lag: 1 }),
        sample('b', 2, { lag: 100 }),
        sample('b', 12, { lag: 50 }),
        sample('b', 22, { lag: 2 }),
      ],
      window,
    );
    expect(points[0].p50Ms).toBeNull();
    expect(points[0].errorRate).toBeNull();
    expect(points.map((p) => p.lag)).toEqual([107, 53]);
    expect(buildSeries([], window)).toEqual([]);
  });
});

describe('increase', () => {
  it('takes each counter on its own: one that went down counts from zero, the others by difference', () => {
    const inc = increase(sample('a', 0, { delivered: 10, retried: 5 }), sample('a', 1, { delivered: 12, retried: 2 }));
    expect([inc[1], inc[3]]).toEqual([2, 2]);
  });
});
