/**
 * Lets the first of a run of identical messages through and then one per `windowMs`, reporting
 * how many were held back. A client that retries every 100 ms during an outage should produce
 * a line per window, not ten a second per subscription.
 */
export class RepeatSuppressor {
  private readonly seen = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** null: hold this one back. Otherwise how many identical ones were held back since the last. */
  admit(key: string): number | null {
    const t = this.now();
    const entry = this.seen.get(key);
    if (entry && t - entry.at < this.windowMs) {
      entry.suppressed++;
      return null;
    }
    const suppressed = entry?.suppressed ?? 0;
    if (this.seen.size > 100) this.seen.clear();
    this.seen.set(key, { at: t, suppressed: 0 });
    return suppressed;
  }
}
