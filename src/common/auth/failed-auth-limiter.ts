/**
 * Counts failed authentications per client address in fixed windows. Once an address reaches
 * the limit, every admin request from it is refused until the window ends, valid token or not:
 * answering a valid token differently would let a guesser keep guessing.
 */
export class FailedAuthLimiter {
  private readonly windows = new Map<string, { start: number; failures: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
    /** Bounds memory under a spray of addresses; the oldest windows go first. */
    private readonly maxTracked = 10_000,
  ) {}

  /** Milliseconds until the address may try again, or 0 when it may now. */
  blockedFor(address: string): number {
    if (this.limit === 0) return 0;
    const w = this.windows.get(address);
    if (!w) return 0;
    const left = w.start + this.windowMs - this.now();
    if (left <= 0) {
      this.windows.delete(address);
      return 0;
    }
    return w.failures >= this.limit ? left : 0;
  }

  /** Records a failure; true when this one reached the limit (so the block is logged once). */
  fail(address: string): boolean {
    if (this.limit === 0) return false;
    const now = this.now();
    let w = this.windows.get(address);
    if (!w || now - w.start >= this.windowMs) {
      this.windows.delete(address);
      if (this.windows.size >= this.maxTracked) this.windows.delete(this.windows.keys().next().value!);
      w = { start: now, failures: 0 };
      this.windows.set(address, w);
    }
    w.failures++;
    return w.failures === this.limit;
  }
}
