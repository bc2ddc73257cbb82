import { clientKey, FailedAuthLimiter } from './failed-auth-limiter';

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

  it('counts an IPv6 /64 as one client and a mapped IPv4 address as itself', () => {
    expect(clientKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
    expect(clientKey('::ffff:10.0.0.7')).toBe('10.0.0.7');
    expect(clientKey('10.0.0.7')).toBe('10.0.0.7');
    const limiter = new FailedAuthLimiter(2, 60_000);
    limiter.fail('2001:db8:1:2::a');
    limiter.fail('2001:db8:1:2::b');
    expect(limiter.blockedFor('2001:db8:1:2::c')).toBeGreaterThan(0);
    expect(limiter.blockedFor('2001:db8:1:3::a')).toBe(0);
  });

  it('keeps a block when new addresses push the table to its bound', () => {
    const limiter = new FailedAuthLimiter(2, 60_000, Date.now, 2);
    limiter.fail('attacker');
    limiter.fail('attacker');
    // Addresses below the limit make room; the blocked one stays.
    for (let i = 0; i < 10; i++) limiter.fail(`spray-${i}`);
    expect(limiter.blockedFor('attacker')).toBeGreaterThan(0);
  });
});
