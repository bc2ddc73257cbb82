import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { JsonLogger } from '../common/logging/json.logger';
import type { CircuitBreakerSpec } from '../model/delivery-spec';
import { CircuitBreaker, type CircuitState } from './circuit-breaker';

interface Shared {
  readonly breaker: CircuitBreaker;
  readonly origin: string;
  /** Subscription ids sending through it. */
  readonly members: Set<number>;
}

/**
 * Circuit breakers per process. Subscriptions whose endpoints share an origin (scheme, host and
 * port, RFC 6454) and breaker settings share one breaker: an origin that is down is down for all
 * of them, so one probe serves them all and none floods it while the others wait. A breaker lives
 * while a subscription holds it; its state changes are logged here, once.
 */
@Injectable()
export class CircuitBreakerRegistry implements OnApplicationShutdown {
  private readonly shared = new Map<string, Shared>();
  private readonly keyOf = new Map<number, string>();

  constructor(private readonly logger: JsonLogger) {}

  /**
   * The breaker for this subscription's origin and settings, joined (or moved to). Shared only
   * within one owner (a requester team, or the operators' when null): another team's failing
   * path on a shared gateway must not hold this one's deliveries back.
   */
  attach(subscriptionId: number, origin: string, spec: CircuitBreakerSpec, owner: string | null = null): CircuitBreaker {
    const key = JSON.stringify([owner, origin, spec]);
    const previous = this.keyOf.get(subscriptionId);
    if (previous !== undefined && previous !== key) this.remove(subscriptionId);
    let entry = this.shared.get(key);
    if (!entry) {
      const members = new Set<number>();
      const breaker = new CircuitBreaker(spec, Date.now, (state, b) => this.changed(origin, members, state, b));
      entry = { breaker, origin, members };
      this.shared.set(key, entry);
    }
    entry.members.add(subscriptionId);
    this.keyOf.set(subscriptionId, key);
    return entry.breaker;
  }

  /** The subscription stopped here: it leaves its breaker, which goes when nobody holds it. */
  remove(subscriptionId: number): void {
    const key = this.keyOf.get(subscriptionId);
    if (key === undefined) return;
    this.keyOf.delete(subscriptionId);
    const entry = this.shared.get(key);
    if (!entry) return;
    entry.members.delete(subscriptionId);
    if (entry.members.size === 0) {
      entry.breaker.close();
      this.shared.delete(key);
    } else {
      // The leaver's records waiting on it must move to their new breaker.
      entry.breaker.nudge();
    }
  }

  onApplicationShutdown(): void {
    for (const entry of this.shared.values()) entry.breaker.close();
    this.shared.clear();
    this.keyOf.clear();
  }

  private changed(origin: string, members: Set<number>, state: CircuitState, breaker: CircuitBreaker): void {
    const subscriptions = [...members];
    if (state === 'open') {
      this.logger.warn('endpoint unavailable: circuit opened; records wait and probes go out', { origin, subscriptions, opens: breaker.opens });
    } else if (state === 'closed') {
      this.logger.info('endpoint answering again: circuit closed', { origin, subscriptions, openForMs: breaker.lastOpenForMs, probes: breaker.probes });
    }
  }
}
