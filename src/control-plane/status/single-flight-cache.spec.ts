import { SingleFlightCache } from './single-flight-cache';

describe('SingleFlightCache', () => {
  let now = 1_000;
  const clock = () => now;

  it('shares one computation among concurrent callers and reuses its value for the TTL', async () => {
    const cache = new SingleFlightCache<number, string>(1_000, clock);
    let computed = 0;
    let release!: () => void;
    const compute = () => {
      computed++;
      return new Promise<string>((resolve) => (release = () => resolve(`v${computed}`)));
    };
    const callers = Array.from({ length: 200 }, () => cache.get(1, compute));
    expect(computed).toBe(1);
    release();
    const answers = await Promise.all(callers);
    expect(new Set(answers.map((a) => a.value))).toEqual(new Set(['v1']));
    expect(answers[0].generatedAt).toBe(1_000);
    now += 999;
    expect((await cache.get(1, compute)).value).toBe('v1');
    expect(computed).toBe(1);
    now += 1;
    const next = cache.get(1, compute);
    expect(computed).toBe(2);
    release();
    expect(await next).toEqual({ value: 'v2', generatedAt: 2_000 });
    // Another key computes on its own.
    const other = cache.get(2, compute);
    expect(computed).toBe(3);
    release();
    await other;
  });

  it('forgets one key or all on demand: the next caller computes afresh', async () => {
    const cache = new SingleFlightCache<number, number>(60_000, clock);
    let calls = 0;
    const compute = async () => ++calls;
    await cache.get(1, compute);
    await cache.get(2, compute);
    cache.forget(1);
    expect((await cache.get(1, compute)).value).toBe(3);
    expect((await cache.get(2, compute)).value).toBe(2);
    cache.clear();
    expect((await cache.get(2, compute)).value).toBe(4);
  });

  it('keeps no failure: the next caller computes again', async () => {
    const cache = new SingleFlightCache<number, number>(10_000, clock);
    let calls = 0;
    const failing = () => (calls++, Promise.reject(new Error('down')));
    await expect(Promise.all([cache.get(1, failing), cache.get(1, failing)])).rejects.toThrow('down');
    expect(calls).toBe(1);
    await Promise.resolve();
    await expect(cache.get(1, async () => 5)).resolves.toMatchObject({ value: 5 });
  });

  it('with TTL 0 shares only what is in flight, and sweeps expired keys', async () => {
    const cache = new SingleFlightCache<number, number>(0, clock);
    let calls = 0;
    const compute = async () => ++calls;
    const [a, b] = await Promise.all([cache.get(1, compute), cache.get(1, compute)]);
    expect([a.value, b.value, calls]).toEqual([1, 1, 1]);
    expect((await cache.get(1, compute)).value).toBe(2);
    await Promise.resolve();
    expect(cache.size).toBe(0);
  });
});
