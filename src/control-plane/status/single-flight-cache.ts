/** A value and when its computation started (ms since the epoch). */
export interface Generated<V> {
  value: V;
  generatedAt: number;
}

interface Entry<V> {
  promise: Promise<Generated<V>>;
  /** Until when a settled value is reused, ms since the epoch; Infinity while in flight. */
  until: number;
}

/**
 * Shares one computation per key: callers while it runs get the same promise (single flight),
 * and its value is reused for `ttlMs` after it settled. A failure is not kept: the next caller
 * computes again. Expired entries are swept as new keys arrive, so the map holds at most the
 * keys asked for within a TTL.
 */
export class SingleFlightCache<K, V> {
  private readonly entries = new Map<K, Entry<V>>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The shared value of `key`, computing it with `compute` when none is fresh or in flight. */
  get(key: K, compute: () => Promise<V>): Promise<Generated<V>> {
    const now = this.now();
    const entry = this.entries.get(key);
    if (entry && entry.until > now) return entry.promise;
    this.sweep(now);
    const generatedAt = now;
    const fresh: Entry<V> = { promise: compute().then((value) => ({ value, generatedAt })), until: Infinity };
    this.entries.set(key, fresh);
    fresh.promise.then(
      () => {
        if (this.entries.get(key) === fresh) fresh.until = this.now() + this.ttlMs;
        if (this.ttlMs <= 0) this.drop(key, fresh);
      },
      () => this.drop(key, fresh),
    );
    return fresh.promise;
  }

  /** Forgets the value of `key`, so its next caller computes afresh. */
  forget(key: K): void {
    this.entries.delete(key);
  }

  /** Forgets every value, so the next caller of each key computes afresh (in-flight ones finish for their callers). */
  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  private drop(key: K, entry: Entry<V>): void {
    if (this.entries.get(key) === entry) this.entries.delete(key);
  }

  private sweep(now: number): void {
    for (const [key, entry] of this.entries) if (entry.until <= now) this.entries.delete(key);
  }
}
