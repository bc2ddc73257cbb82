/**
 * Counts failed authentications per client address (see clientKey) in fixed windows of
 * `windowMs` milliseconds. Once an address reached `limit` failures, the admin API answers 429
 * to every request from it that does not carry a valid token, until the window ends (0 = no limit).
 *
 * A request with a valid token always passes, blocked address or not: one guesser (or everyone
 * behind a shared ingress, see TRUSTED_PROXIES) must not lock the operators out. While blocked, a
 * wrong token and a missing one get the same 429, so the answer says nothing about how close a
 * guess was; it does not stop a guesser from trying on, which the tokens' length (16+ characters,
 * AppConfig) makes hopeless. What the limit gives is a loud signal (one log line per block) and
 * a Retry-After that tells a misconfigured client to back off.
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
    address = clientKey(address);
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
    address = clientKey(address);
    const now = this.now();
    let w = this.windows.get(address);
    if (!w || now - w.start >= this.windowMs) {
      this.windows.delete(address);
      if (this.windows.size >= this.maxTracked) this.evictOne(now);
      w = { start: now, failures: 0 };
      this.windows.set(address, w);
    }
    w.failures++;
    return w.failures === this.limit;
  }

  /** The oldest window that blocks nobody, so a spray of new addresses cannot lift a block. */
  private evictOne(now: number): void {
    let oldest: string | undefined;
    for (const [key, w] of this.windows) {
      oldest ??= key;
      if (w.failures < this.limit || now - w.start >= this.windowMs) {
        this.windows.delete(key);
        return;
      }
    }
    if (oldest !== undefined) this.windows.delete(oldest);
  }
}

/**
 * IPv6 clients usually hold a whole /64, so one budget covers the /64; IPv4 (also when mapped
 * into IPv6) is counted per address.
 */
export function clientKey(address: string): string {
  const plain = address.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(plain);
  if (mapped) return mapped[1];
  if (!plain.includes(':')) return plain;
  const [head, tail] = plain.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g || '0', 16).toString(16))
    .join(':')}::/64`;
}
