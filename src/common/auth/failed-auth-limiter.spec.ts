import { FailedAuthLimiter } from './failed-auth-limiter';

describe('FailedAuthLimiter', () => {
  it('blocks an address for the rest of its window once it reached the limit, and only that address', () => {
    let now = 1_000;
    const limiter = new FailedAuthLimiter(3, 60_000, () => now);
    expect(limiter.fail('a')).toBe(false);
    expect(limiter.fail('a')).toBe(false);
    expect(limiter.blockedFor('a')).toBe(0);
    expect(limiter.fail('a')).toBe(true);
    now += 10_000;
    expect(limiter.blockedFor('a')).toBe(50_000);
    expect(limiter.blockedFor('b')).toBe(0);
    now += 50_000;
    expect(limiter.blockedFor('a')).toBe(0);
    expect(limiter.fail('a')).toBe(false);
  });

  it('starts a new window after the old one ended, and forgets the oldest address beyond its bound', () => {
    let now = 0;
    const limiter = new FailedAuthLimiter(2, 1_000, () => now, 2);
    limiter.fail('a');
    now = 1_500;
    expect(limiter.fail('a')).toBe(false);
    limiter.fail('b');
    limiter.fail('c');
    limiter.fail('c');
    expect(limiter.blockedFor('c')).toBeGreaterThan(0);
    // 'a' was evicted for 'c', so its earlier failure no longer counts.
    expect(limiter.fail('a')).toBe(false);
  });

  it('never blocks with a limit of 0', () => {
    const limiter = new FailedAuthLimiter(0, 1_000);
    for (let i = 0; i < 100; i++) limiter.fail('a');
    expect(limiter.blockedFor('a')).toBe(0);
  });
});
