import type { CircuitBreakerSpec } from '../model/delivery-spec';
import { CircuitBreaker, type CircuitState } from './circuit-breaker';

const SPEC: CircuitBreakerSpec = { enabled: true, failureRatio: 0.5, minFailures: 3, windowMs: 10_000, probeIntervalMs: 500, maxProbeIntervalMs: 4_000 };

describe('CircuitBreaker', () => {
  let clock: number;
  let changes: CircuitState[];
  const make = (spec: Partial<CircuitBreakerSpec> = {}) =>
    new CircuitBreaker(
      { ...SPEC, ...spec },
      () => clock,
      (s) => void changes.push(s),
    );
  const live = () => new AbortController().signal;

  beforeEach(() => {
    jest.useFakeTimers();
    clock = 1_000_000;
    changes = [];
  });
  afterEach(() => jest.useRealTimers());

  const advance = async (ms: number) => {
    clock += ms;
    await jest.advanceTimersByTimeAsync(ms);
  };

  it('opens when unavailable answers reach the minimum and the ratio, and not on answers that blame the record', () => {
    const b = make();
    for (let i = 0; i < 10; i++) expect(b.report('answered', false)).toBe(false);
    for (let i = 0; i < 6; i++) {
      expect(b.report('unavailable', false)).toBe(false);
      b.report('ok', false);
    }
    // 6 unavailable of 22 attempts, never 3 in a row: the minimum is reached but not the ratio.
    expect(b.state).toBe('closed');
    // Two in three unavailable, never three in a row: opens once they are half the window.
    for (let i = 0; i < 12 && b.state === 'closed'; i++) {
      b.report('unavailable', false);
      b.report('unavailable', false);
      if (b.state === 'closed') b.report('ok', false);
    }
    expect(b.state).toBe('open');
    expect(changes).toEqual(['open']);
  });

  it('opens on minFailures unavailable answers in a row, however busy the window was', () => {
    const b = make();
    for (let i = 0; i < 1_000; i++) b.report('ok', false);
    expect(b.report('unavailable', false)).toBe(false);
    expect(b.report('unavailable', false)).toBe(false);
    expect(b.report('unavailable', false)).toBe(true);
    expect(b.state).toBe('open');
    expect(changes).toEqual(['open']);
    expect(b.passable).toBe(false);
  });

  it('forgets failures older than the window', async () => {
    const b = make();
    b.report('unavailable', false);
    b.report('unavailable', false);
    await advance(11_000);
    b.report('unavailable', false);
    expect(b.state).toBe('closed');
  });

  it('holds attempts while open, lets exactly one probe out when half-open, and closes on its answer', async () => {
    const b = make();
    for (let i = 0; i < 3; i++) b.report('unavailable', false);
    const results: Array<boolean | 'aborted'> = [];
    const waiting = [b.admit(live()), b.admit(live()), b.admit(live())].map((p) => p.then((r) => void results.push(r)));
    await advance(499);
    expect(results).toEqual([]);
    await advance(1);
    expect(b.state).toBe('half_open');
    expect(results).toEqual([true]);
    expect(b.report('ok', true)).toBe(false);
    await Promise.all(waiting);
    expect(results).toEqual([true, false, false]);
    expect(b.state).toBe('closed');
    expect(changes).toEqual(['open', 'half_open', 'closed']);
    expect(b.snapshot()).toMatchObject({ state: 'closed', opens: 1, probes: 1, openForMs: 0 });
  });

  it("backs off the probe interval exponentially up to its cap, and says failed attempts while open are not the record's", async () => {
    const b = make();
    for (let i = 0; i < 3; i++) b.report('unavailable', false);
    const gaps: number[] = [];
    let last = clock;
    for (let i = 0; i < 6; i++) {
      const probe = b.admit(live());
      while (b.state !== 'half_open') await advance(100);
      expect(await probe).toBe(true);
      gaps.push(clock - last);
      expect(b.report('unavailable', true)).toBe(true);
      last = clock;
    }
    expect(gaps).toEqual([500, 1000, 2000, 4000, 4000, 4000]);
    expect(b.report('unavailable', false)).toBe(true);
    expect(b.probes).toBe(6);
  });

  it('an answer that blames the record still closes it: the endpoint is up', async () => {
    const b = make();
    for (let i = 0; i < 3; i++) b.report('unavailable', false);
    await advance(500);
    expect(await b.admit(live())).toBe(true);
    b.report('answered', true);
    expect(b.state).toBe('closed');
  });

  it('gives the probe to another attempt when its record stops, and a stopped wait ends at once', async () => {
    const b = make();
    for (let i = 0; i < 3; i++) b.report('unavailable', false);
    const stop = new AbortController();
    const stopped = b.admit(stop.signal);
    stop.abort();
    expect(await stopped).toBe('aborted');
    await advance(500);
    expect(await b.admit(live())).toBe(true);
    const next = b.admit(live());
    b.cancelProbe();
    expect(await next).toBe(true);
  });

  it('a Retry-After holds every attempt, breaker or not, and delays the probe', async () => {
    const off = make({ enabled: false });
    off.hold(2_000);
    expect(off.passable).toBe(false);
    let went = false;
    const p = off.admit(live()).then(() => (went = true));
    await advance(1_999);
    expect(went).toBe(false);
    await advance(1);
    await p;
    expect(off.passable).toBe(true);

    const b = make();
    for (let i = 0; i < 3; i++) b.report('unavailable', false);
    b.hold(3_000);
    await advance(2_999);
    expect(b.state).toBe('open');
    await advance(1);
    expect(b.state).toBe('half_open');
  });

  it('switched off, it never opens, and switching it off releases the waiting attempts', async () => {
    const b = make();
    for (let i = 0; i < 3; i++) b.report('unavailable', false);
    const waiting = b.admit(live());
    b.configure({ ...SPEC, enabled: false });
    expect(await waiting).toBe(false);
    for (let i = 0; i < 10; i++) expect(b.report('unavailable', false)).toBe(false);
    expect(b.state).toBe('closed');
  });
});
