import { histogramQuantile } from './histogram-quantile';

describe('histogramQuantile', () => {
  const bounds = [0.1, 0.5, 1];

  it('interpolates linearly inside the bucket holding the rank, the first bucket starting at 0', () => {
    // 10 observations: 4 ≤ 0.1, 4 in (0.1, 0.5], 2 in (0.5, 1].
    const counts = [4, 4, 2, 0];
    // rank 5 is the 1st of the 4 in (0.1, 0.5]: 0.1 + 0.4 × 1/4.
    expect(histogramQuantile(0.5, bounds, counts)).toBeCloseTo(0.2, 10);
    // rank 2 is halfway through the first bucket [0, 0.1].
    expect(histogramQuantile(0.2, bounds, counts)).toBeCloseTo(0.05, 10);
    // rank 9.9 is 1.9 of the 2 in (0.5, 1].
    expect(histogramQuantile(0.99, bounds, counts)).toBeCloseTo(0.5 + 0.5 * (1.9 / 2), 10);
    // The whole rank at a bucket's top answers its upper bound.
    expect(histogramQuantile(0.8, bounds, counts)).toBeCloseTo(0.5, 10);
    expect(histogramQuantile(1, bounds, counts)).toBeCloseTo(1, 10);
  });

  it('answers the highest finite bound for a rank in the +Inf bucket, as Prometheus does', () => {
    expect(histogramQuantile(0.99, bounds, [1, 0, 0, 9])).toBe(1);
    expect(histogramQuantile(0.05, bounds, [1, 0, 0, 9])).toBeCloseTo(0.05, 10);
  });

  it('skips empty buckets and takes fractional counts (increases spread over time)', () => {
    expect(histogramQuantile(0.5, bounds, [0, 0, 0.5, 0])).toBeCloseTo(0.75, 10);
    expect(histogramQuantile(0.5, bounds, [0, 2, 0, 0])).toBeCloseTo(0.3, 10);
  });

  it('answers null without observations and refuses a quantile outside 0..1 or counts that do not fit the bounds', () => {
    expect(histogramQuantile(0.5, bounds, [0, 0, 0, 0])).toBeNull();
    expect(() => histogramQuantile(1.5, bounds, [1, 0, 0, 0])).toThrow('quantile must be between 0 and 1, got 1.5');
    expect(() => histogramQuantile(0.5, bounds, [1, 0, 0])).toThrow('expected 4 bucket counts, got 3');
  });
});
