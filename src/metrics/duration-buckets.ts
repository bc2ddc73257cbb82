export const DURATION_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;

/**
 * One histogram series kept as plain numbers: an observation is a bucket search and three
 * additions, with no label hashing (prom-client hashes the labels on every observe, which
 * showed up in the delivery hot path's profile). Read at scrape time.
 */
export class DurationBuckets {
  /** counts[i]: observations <= bounds[i] and above the previous bound; the last slot is +Inf. */
  readonly counts = new Float64Array(DURATION_BUCKETS_SECONDS.length + 1);
  sum = 0;
  count = 0;

  observe(seconds: number): void {
    let i = 0;
    while (i < DURATION_BUCKETS_SECONDS.length && seconds > DURATION_BUCKETS_SECONDS[i]) i++;
    this.counts[i]++;
    this.sum += seconds;
    this.count++;
  }
}
