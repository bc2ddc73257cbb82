import { AdaptiveConcurrency } from './adaptive-concurrency';

/**
 * Drives a limit against a simulated endpoint whose latency grows with what is in flight, one
 * round (all in-flight answers) at a time; returns the limit after each round.
 */
function drive(limit: AdaptiveConcurrency, latencyAt: (inFlight: number) => number, rounds: number, clock: { t: number }): number[] {
  const seen: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const n = limit.limit;
    const ms = latencyAt(n);
    for (let i = 0; i < n; i++) {
      clock.t += ms / n;
      limit.sample(ms, 'ok');
    }
    seen.push(limit.limit);
  }
  return seen;
}

describe('AdaptiveConcurrency', () => {
  it('starts at the ceiling and stays there against an endpoint whose latency does not grow with load', () => {
    const clock = { t: 0 };
    const limit = new AdaptiveConcurrency(
      64,
      true,
      () => clock.t,
      () => false,
    );
    expect(limit.limit).toBe(64);
    const seen = drive(limit, () => 20, 2_000, clock);
    // Only the brief baseline probes (half the limit for two latencies) leave the ceiling.
    expect(seen.filter((n) => n === 64).length).toBeGreaterThan(0.95 * seen.length);
    expect(Math.min(...seen)).toBe(32);
  });

  it('settles where an endpoint that degrades with load still keeps up, far below the ceiling', () => {
    const clock = { t: 0 };
    const limit = new AdaptiveConcurrency(
      64,
      true,
      () => clock.t,
      () => false,
    );
    // 10 ms alone, 20 ms at 8 in flight, 650 ms at 64: throughput peaks near 8-12 in flight.
    const latency = (c: number) => 10 * (1 + (c / 8) ** 2);
    const seen = drive(limit, latency, 3_000, clock).slice(-1_000);
    const mean = seen.reduce((a, b) => a + b, 0) / seen.length;
    expect(mean).toBeGreaterThan(4);
    expect(mean).toBeLessThan(20);
    const throughput = (c: number) => c / latency(c);
    expect(throughput(mean)).toBeGreaterThan(3 * throughput(64));
  });

  it('backs off on unavailability and recovers when the endpoint keeps up again', () => {
    const clock = { t: 0 };
    const limit = new AdaptiveConcurrency(
      32,
      true,
      () => clock.t,
      () => false,
    );
    expect(limit.limit).toBe(32);
    for (let i = 0; i < 10; i++) {
      clock.t += 10;
      limit.sample(5, 'unavailable');
    }
    expect(limit.limit).toBeLessThan(4);
    drive(limit, () => 5, 400, clock);
    expect(limit.limit).toBe(32);
  });

  it('keeps its limit against an endpoint whose latency varies without growing with load, and is not dragged down by quick refusals', () => {
    const clock = { t: 0 };
    const limit = new AdaptiveConcurrency(
      32,
      true,
      () => clock.t,
      () => false,
    );
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const seen: number[] = [];
    for (let r = 0; r < 2_000; r++) {
      const n = limit.limit;
      for (let i = 0; i < n; i++) {
        const ms = 5 + random() * 95;
        clock.t += ms / n;
        // One answer in five is a 400 that comes back in 2 ms.
        if (i % 5 === 0) limit.sample(2, 'answered');
        else limit.sample(ms, 'ok');
      }
      seen.push(limit.limit);
    }
    const tail = seen.slice(-500);
    expect(tail.reduce((a, b) => a + b, 0) / tail.length).toBeGreaterThan(24);
  });

  it('does not judge latency while its own event loop is saturated (the answers wait for the loop)', () => {
    const clock = { t: 0 };
    const limit = new AdaptiveConcurrency(
      64,
      true,
      () => clock.t,
      () => true,
    );
    const seen = drive(limit, (c) => 10 * (1 + (c / 8) ** 2), 200, clock);
    // Never lowered: at most the brief baseline probe's half.
    expect(Math.min(...seen)).toBe(32);
  });

  it('is the ceiling when switched off, and keeps within a lowered ceiling', () => {
    const clock = { t: 0 };
    const limit = new AdaptiveConcurrency(
      16,
      false,
      () => clock.t,
      () => false,
    );
    expect(limit.limit).toBe(16);
    limit.sample(10_000, 'unavailable');
    expect(limit.limit).toBe(16);
    limit.configure(16, true);
    drive(limit, () => 5, 10, clock);
    limit.configure(4, true);
    expect(limit.limit).toBeLessThanOrEqual(4);
  });
});
