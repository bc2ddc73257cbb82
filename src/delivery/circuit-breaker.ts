import type { CircuitBreakerSpec } from '../model/delivery-spec';

export type CircuitState = 'closed' | 'open' | 'half_open';

/**
 * What one attempt said about the endpoint: `ok` (delivered), `answered` (it answered, so it is
 * up, but refused the record: a 4xx, an errcode mismatch) or `unavailable` (no answer, a
 * timeout, 429, 502, 503 or 504: the endpoint as a whole cannot take records now).
 */
export type EndpointSignal = 'ok' | 'answered' | 'unavailable';

/** What status and the console show of a breaker. */
export interface CircuitSnapshot {
  state: CircuitState;
  /** When it last opened (ISO 8601), or null. */
  openedAt: string | null;
  /** How long it has been open now, ms (0 when closed). */
  openForMs: number;
  /** Times it opened, and probes sent, since the process started. */
  opens: number;
  probes: number;
  /** When the next probe may go (ISO 8601) while open, else null. */
  nextProbeAt: string | null;
  /** Until when a Retry-After holds every record (ISO 8601), or null. */
  holdUntil: string | null;
}

/** Buckets the window is counted in: the window slides by a tenth of its length. */
const BUCKETS = 10;

/**
 * A circuit breaker for one endpoint (after Nygard's Release It! and the resilience4j count/time
 * window): attempts report an EndpointSignal; when `minFailures` answers in a row are
 * `unavailable`, or they reach `minFailures` and `failureRatio` of the attempts in the last
 * `windowMs`, the breaker opens. While open, admit()
 * holds every attempt; after `probeIntervalMs` (doubling per failed probe, capped at
 * `maxProbeIntervalMs`) the breaker is half-open and exactly one attempt goes as the probe. An
 * answer to the probe (`ok` or `answered`) closes it and releases everyone; `unavailable` opens
 * it again. A Retry-After (RFC 9110 §10.2.3) holds every attempt until it passes, breaker or not.
 *
 * Times are ms from `now()`; timers are unref'd. No I/O; safe to share between subscriptions
 * that send to one origin.
 */
export class CircuitBreaker {
  private stateNow: CircuitState = 'closed';
  private readonly attempts = new Array<number>(BUCKETS).fill(0);
  private readonly failures = new Array<number>(BUCKETS).fill(0);
  private bucketStart: number;
  private bucket = 0;
  private openedAt = 0;
  private interval: number;
  private nextProbeAt = 0;
  private probeOut = false;
  private holdUntil = 0;
  private timer: NodeJS.Timeout | null = null;
  private waiters: Array<() => void> = [];
  private consecutive = 0;
  private opensCount = 0;
  private probesCount = 0;
  private openMsTotal = 0;
  private lastOpenFor = 0;

  constructor(
    private spec: CircuitBreakerSpec,
    private readonly now: () => number = Date.now,
    /** Told of every change of state (for logs, metrics and alerts). */
    private readonly onChange: (state: CircuitState, breaker: CircuitBreaker) => void = () => undefined,
  ) {
    this.interval = spec.probeIntervalMs;
    this.bucketStart = now();
  }

  get state(): CircuitState {
    return this.stateNow;
  }

  get settings(): CircuitBreakerSpec {
    return this.spec;
  }

  /** True when an attempt may go at once; false when admit() must be awaited first. */
  get passable(): boolean {
    return this.stateNow === 'closed' && (this.holdUntil === 0 || this.holdUntil <= this.now());
  }

  /** Total ms spent open, the current opening included. */
  get openMs(): number {
    return this.openMsTotal + (this.stateNow === 'closed' ? 0 : this.now() - this.openedAt);
  }

  /** How long the last opening lasted, ms (0 before any closed). */
  get lastOpenForMs(): number {
    return this.lastOpenFor;
  }

  get opens(): number {
    return this.opensCount;
  }

  get probes(): number {
    return this.probesCount;
  }

  /** New thresholds apply from the next attempt; an open breaker stays open. Switched off, it closes. */
  configure(spec: CircuitBreakerSpec): void {
    this.spec = spec;
    if (!spec.enabled && this.stateNow !== 'closed') this.close();
  }

  /**
   * Waits until an attempt may go: resolves true when this attempt is the probe (its answer
   * must be reported with probe = true, or given back with cancelProbe()), false otherwise.
   * Resolves 'aborted' as soon as `signal` aborts, and false at the first wake-up after
   * `stillMine` turns false (the caller moved to another breaker and should look again).
   */
  async admit(signal: AbortSignal, stillMine: () => boolean = () => true): Promise<boolean | 'aborted'> {
    for (;;) {
      if (signal.aborted) return 'aborted';
      if (!stillMine()) return false;
      const now = this.now();
      if (this.holdUntil > now) {
        if (!(await this.wait(signal, this.holdUntil - now))) return 'aborted';
        continue;
      }
      if (this.stateNow === 'closed' || !this.spec.enabled) return false;
      if (this.stateNow === 'half_open' && !this.probeOut) {
        this.probeOut = true;
        this.probesCount++;
        return true;
      }
      if (!(await this.wait(signal, null))) return 'aborted';
    }
  }

  /** Wakes every waiting attempt so it looks again (a subscription left this breaker). */
  nudge(): void {
    this.wakeAll();
  }

  /** A probe that was not sent after all (its record was stopped): the next waiter may probe. */
  cancelProbe(): void {
    if (!this.probeOut) return;
    this.probeOut = false;
    this.wakeAll();
  }

  /**
   * Reports one attempt's answer. Returns true when the breaker is open (or half-open) after it
   * and the answer was `unavailable`: the endpoint is down, so the attempt should not count
   * against its record's retries.
   */
  report(signal: EndpointSignal, probe: boolean): boolean {
    const now = this.now();
    if (probe) {
      this.probeOut = false;
      if (signal === 'unavailable') this.open(now, Math.min(this.interval * 2, this.spec.maxProbeIntervalMs));
      else this.close();
      return signal === 'unavailable';
    }
    if (!this.spec.enabled) return false;
    if (this.stateNow !== 'closed') return signal === 'unavailable';
    this.slide(now);
    this.attempts[this.bucket]++;
    if (signal !== 'unavailable') {
      this.consecutive = 0;
      return false;
    }
    this.failures[this.bucket]++;
    this.consecutive++;
    let attempts = 0;
    let failures = 0;
    for (let i = 0; i < BUCKETS; i++) {
      attempts += this.attempts[i];
      failures += this.failures[i];
    }
    // In a row: an endpoint that just went down after a busy window would otherwise need as many
    // failures as the window had successes, and records would run out of retries first.
    if (this.consecutive >= this.spec.minFailures || (failures >= this.spec.minFailures && failures >= this.spec.failureRatio * attempts)) {
      this.open(now, this.spec.probeIntervalMs);
      return true;
    }
    return false;
  }

  /** Holds every attempt for `ms` (a Retry-After), or longer if a hold already runs. */
  hold(ms: number): void {
    const until = this.now() + ms;
    if (until <= this.holdUntil) return;
    this.holdUntil = until;
    if (this.stateNow === 'open' && this.nextProbeAt < until) this.schedule(until);
  }

  snapshot(): CircuitSnapshot {
    const now = this.now();
    const iso = (t: number) => new Date(t).toISOString();
    return {
      state: this.stateNow,
      openedAt: this.opensCount > 0 ? iso(this.openedAt) : null,
      openForMs: this.stateNow === 'closed' ? 0 : now - this.openedAt,
      opens: this.opensCount,
      probes: this.probesCount,
      nextProbeAt: this.stateNow === 'open' ? iso(this.nextProbeAt) : null,
      holdUntil: this.holdUntil > now ? iso(this.holdUntil) : null,
    };
  }

  /** Releases every waiter (they resolve 'aborted' if their signal is aborted, else go) and stops the timer. */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.stateNow !== 'closed') {
      this.lastOpenFor = this.now() - this.openedAt;
      this.openMsTotal += this.lastOpenFor;
      this.stateNow = 'closed';
      this.interval = this.spec.probeIntervalMs;
      this.attempts.fill(0);
      this.failures.fill(0);
      this.consecutive = 0;
      this.probeOut = false;
      this.onChange('closed', this);
    }
    this.wakeAll();
  }

  private open(now: number, interval: number): void {
    const wasClosed = this.stateNow === 'closed';
    if (wasClosed) {
      this.openedAt = now;
      this.opensCount++;
    }
    this.stateNow = 'open';
    this.interval = interval;
    this.schedule(Math.max(now + interval, this.holdUntil));
    if (wasClosed) this.onChange('open', this);
  }

  private schedule(at: number): void {
    this.nextProbeAt = at;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(
      () => {
        this.timer = null;
        if (this.stateNow !== 'open') return;
        this.stateNow = 'half_open';
        this.onChange('half_open', this);
        this.wakeAll();
      },
      Math.max(0, at - this.now()),
    );
    this.timer.unref();
  }

  private slide(now: number): void {
    const width = this.spec.windowMs / BUCKETS;
    let steps = Math.floor((now - this.bucketStart) / width);
    if (steps <= 0) return;
    if (steps >= BUCKETS) {
      this.attempts.fill(0);
      this.failures.fill(0);
      this.consecutive = 0;
      steps = BUCKETS;
    } else {
      for (let i = 1; i <= steps; i++) {
        const b = (this.bucket + i) % BUCKETS;
        this.attempts[b] = 0;
        this.failures[b] = 0;
      }
    }
    this.bucket = (this.bucket + steps) % BUCKETS;
    this.bucketStart = now - ((now - this.bucketStart) % width);
  }

  /** Resolves true when woken (or after `ms`), false when `signal` aborts first. */
  private wait(signal: AbortSignal, ms: number | null): Promise<boolean> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | null = null;
      const done = (woken: boolean) => {
        if (timer) clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        const i = this.waiters.indexOf(wake);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve(woken);
      };
      const wake = () => done(true);
      const onAbort = () => done(false);
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(wake);
      if (ms !== null) {
        timer = setTimeout(wake, ms);
        timer.unref();
      }
    });
  }

  private wakeAll(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const wake of waiting) wake();
  }
}
