import { RetryPolicy } from './retry-policy';

describe('RetryPolicy', () => {
  const policy = (random: () => number) => new RetryPolicy({ maxRetries: 3, backoffMs: 100, maxBackoffMs: 1000 }, random);

  it('allows maxRetries retries after the first attempt', () => {
    const p = policy(() => 0.5);
    expect([1, 2, 3, 4].map((a) => p.canRetry(a))).toEqual([true, true, true, false]);
  });

  it('grows the jitter ceiling exponentially and caps it', () => {
    const top = policy(() => 0.999999);
    expect([1, 2, 3, 4, 5, 40].map((a) => top.delayMs(a))).toEqual([99, 199, 399, 799, 999, 999]);
    expect(policy(() => 0).delayMs(5)).toBe(0);
  });

  it('waits at least Retry-After, but never more than maxBackoffMs', () => {
    const p = policy(() => 0);
    expect(p.delayMs(1, 500)).toBe(500);
    expect(p.delayMs(1, 60_000)).toBe(1000);
  });

  it('parses Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(RetryPolicy.parseRetryAfter('3', now)).toBe(3000);
    expect(RetryPolicy.parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(RetryPolicy.parseRetryAfter('soon', now)).toBeUndefined();
    expect(RetryPolicy.parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it.each([
    [500, true],
    [503, true],
    [408, true],
    [429, true],
    [400, false],
    [404, false],
    [409, false],
  ])('status %d retryable: %s', (status, retryable) => {
    expect(RetryPolicy.isRetryableStatus(status)).toBe(retryable);
  });
});
