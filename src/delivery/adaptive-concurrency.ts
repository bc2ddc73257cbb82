import { EventLoopLoad } from '../common/concurrency/event-loop-load';
import type { EndpointSignal } from './circuit-breaker';

/** Latency above TOLERANCE × baseline + SLACK_MS counts as the endpoint queueing requests. */
const TOLERANCE = 2;
/**
 * Absolute slack, ms: below it, latency changes are the event loop's and the network's jitter,
 * not the endpoint's queue (a 0.3 ms answer measured at 3 ms under load says nothing).
 */
const SLACK_MS = 10;
/** Weight of the newest sample in the smoothed latency. */
const SMOOTHING = 0.2;
/** Multiplicative decrease on congestion or unavailability. */
const BACKOFF = 0.75;
/** How often the baseline is measured afresh at half the limit, ms (BBR's ProbeRTT, every 10 s). */
const PROBE_EVERY_MS = 10_000;
/** Samples one baseline measurement keeps (its median is the baseline). */
const MAX_PROBE_SAMPLES = 256;
/**
 * The first such measurement comes sooner, and so does the next one while the baseline still
 * moves by over a fifth: the limit starts at the ceiling, where latency may already be queueing.
 */
const FIRST_PROBE_MS = 1_000;

/**
 * The in-flight limit of one subscription, adapted to its endpoint: additive increase,
 * multiplicative decrease (AIMD, as TCP congestion control, RFC 5681 §3.1, and uForwarder's
 * adaptive limit) on a delay signal after TCP Vegas.
 * - It starts at `ceiling` (`delivery.maxInFlight`), so a backlog goes at full concurrency from
 *   its first request, and grows back by one per limit's worth of answers after a decrease.
 * - It shrinks by BACKOFF, at most once per smoothed latency, when an attempt finds the endpoint
 *   unavailable or the smoothed latency passes TOLERANCE × baseline + SLACK_MS.
 * - The baseline is the median latency of successful deliveries measured at half the limit for
 *   two smoothed latencies, after FIRST_PROBE_MS and then every PROBE_EVERY_MS, or
 *   FIRST_PROBE_MS while it still moves (after BBR's ProbeRTT). Relative to half the current load, it neither drifts up under sustained load nor
 *   sticks to a past low, and an endpoint whose latency varies without growing with load keeps
 *   its limit (a minimum-based baseline would drive it to 1). Before the first measurement only
 *   unavailability lowers the limit. Refusals (4xx) are not timed: a quick refusal is no baseline.
 * Latency is not judged while this process's own event loop is saturated (`localBusy`): answers
 * then wait for the loop, not for the endpoint, and fewer requests in flight would only idle the
 * network while the loop stays as busy. With `enabled` false the limit is the ceiling. All times
 * are ms from `now()`.
 */
export class AdaptiveConcurrency {
  private value: number;
  private smoothed = 0;
  private baseline = Infinity;
  private lastDecrease = -Infinity;
  private nextProbe: number;
  private probeUntil = 0;
  private probeSamples: number[] = [];

  constructor(
    private ceiling: number,
    private enabled: boolean,
    private readonly now: () => number = Date.now,
    private readonly localBusy: () => boolean = EventLoopLoad.busy,
  ) {
    this.value = ceiling;
    this.nextProbe = now() + FIRST_PROBE_MS;
  }

  /** Deliveries that may run at once now (whole number, 1..ceiling). */
  get limit(): number {
    if (!this.enabled) return this.ceiling;
    const limit = Math.max(1, Math.floor(this.value));
    return this.probeUntil > 0 ? Math.max(1, Math.floor(limit / 2)) : limit;
  }

  /** The latency the limit is judged against, ms (Infinity before any answer). */
  get baselineMs(): number {
    return this.baseline;
  }

  get smoothedMs(): number {
    return this.smoothed;
  }

  /** A new ceiling or switch; the limit stays within the new ceiling. */
  configure(ceiling: number, enabled: boolean): void {
    this.ceiling = ceiling;
    this.enabled = enabled;
    this.value = enabled ? Math.min(this.value, ceiling) : ceiling;
  }

  /** One delivery's answer and how long it took, ms (from sending the request to the answer). */
  sample(latencyMs: number, signal: EndpointSignal): void {
    if (!this.enabled) return;
    const now = this.now();
    if (signal === 'unavailable') {
      this.decrease(now);
      return;
    }
    // Only deliveries time the endpoint's work: a quick refusal of a bad record says nothing.
    if (signal !== 'ok') return;
    this.smoothed = this.smoothed === 0 ? latencyMs : this.smoothed + SMOOTHING * (latencyMs - this.smoothed);
    if (this.probeUntil > 0) {
      if (this.probeSamples.length < MAX_PROBE_SAMPLES) this.probeSamples.push(latencyMs);
      if (now >= this.probeUntil) {
        const measured = median(this.probeSamples);
        // While the baseline still moves (a start, a change of endpoint), measure again soon.
        const moved = !(Math.abs(measured - this.baseline) <= 0.2 * this.baseline);
        this.baseline = measured;
        this.probeUntil = 0;
        this.probeSamples = [];
        this.nextProbe = now + (moved ? FIRST_PROBE_MS : PROBE_EVERY_MS);
      }
      return;
    }
    if (now >= this.nextProbe) {
      this.probeUntil = now + 2 * Math.max(this.smoothed, 1);
      return;
    }
    if (this.smoothed > TOLERANCE * this.baseline + SLACK_MS && !this.localBusy()) this.decrease(now);
    else if (this.value < this.ceiling) this.value = Math.min(this.ceiling, this.value + 1 / this.value);
  }

  private decrease(now: number): void {
    // Answers already in flight when the limit fell say the same thing again: wait one latency.
    if (now - this.lastDecrease < Math.max(this.smoothed, 1)) return;
    this.lastDecrease = now;
    this.value = Math.max(1, this.value * BACKOFF);
  }
}

/** The middle value of a non-empty list (the upper middle for an even count). */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
