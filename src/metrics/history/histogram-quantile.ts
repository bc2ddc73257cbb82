/**
 * The q-quantile (0 ≤ q ≤ 1) of a histogram, the way Prometheus' histogram_quantile() computes it
 * (promql/quantile.go, bucketQuantile; https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile):
 * find the bucket holding the observation of rank q × total, then interpolate linearly inside it,
 * the first bucket starting at 0. A rank in the +Inf bucket answers the highest finite bound.
 *
 * @param q the quantile, 0 to 1
 * @param upperBounds the finite upper bounds, ascending (the +Inf bucket follows them implicitly)
 * @param counts observations per bucket, NOT cumulative: upperBounds.length + 1 entries, the last
 *   for +Inf; fractional counts are fine (deltas spread over time)
 * @returns the quantile in the bounds' unit, or null without observations
 * @throws RangeError when q is outside 0..1 or the counts do not match the bounds
 */
export function histogramQuantile(q: number, upperBounds: readonly number[], counts: ArrayLike<number>): number | null {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be between 0 and 1, got ${q}`);
  if (counts.length !== upperBounds.length + 1) throw new RangeError(`expected ${upperBounds.length + 1} bucket counts, got ${counts.length}`);
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += Math.max(0, counts[i]);
  if (total <= 0) return null;
  const rank = q * total;
  let below = 0;
  for (let b = 0; b < upperBounds.length; b++) {
    const count = Math.max(0, counts[b]);
    // Prometheus searches for the first bucket whose cumulative count reaches the rank.
    if (below + count >= rank && count > 0) {
      const start = b === 0 ? 0 : upperBounds[b - 1];
      return start + (upperBounds[b] - start) * ((rank - below) / count);
    }
    below += count;
  }
  return upperBounds[upperBounds.length - 1];
}
