import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { RateGate } from './rate-gate';

interface Shared {
  readonly gate: RateGate;
  /** Member subscription id -> its ratePerSec (0 = no limit of its own). */
  readonly members: Map<number, number>;
}

/**
 * Rate gates per process. A subscription has its own gate, shared by its consumer and by
 * dead-letter re-delivery so a replay of failures cannot overrun the live limit. Subscriptions
 * whose endpoint names the same rateGroup share one gate, held to the lowest positive rate among
 * them: the group protects one business API, so the strictest member's limit is the one to keep.
 */
@Injectable()
export class RateGateRegistry implements OnApplicationShutdown {
  private readonly shared = new Map<string, Shared>();
  private readonly keyOf = new Map<number, string>();

  /** The gate a running subscription uses here, or its group's gate when another member runs. */
  existing(subscriptionId: number, rateGroup: string | null = null): RateGate | undefined {
    const key = this.keyOf.get(subscriptionId) ?? (rateGroup ? groupKey(rateGroup) : undefined);
    return key === undefined ? undefined : this.shared.get(key)?.gate;
  }

  /** For the consumer, which owns the rate: joins (or moves to) the right gate and applies the rate. */
  attach(subscriptionId: number, rateGroup: string | null, ratePerSec: number): RateGate {
    const key = rateGroup ? groupKey(rateGroup) : `s:${subscriptionId}`;
    const previous = this.keyOf.get(subscriptionId);
    if (previous !== undefined && previous !== key) this.detach(subscriptionId);
    let entry = this.shared.get(key);
    if (!entry) {
      entry = { gate: new RateGate(0), members: new Map() };
      this.shared.set(key, entry);
    }
    entry.members.set(subscriptionId, ratePerSec);
    this.keyOf.set(subscriptionId, key);
    entry.gate.setRate(effectiveRate(entry.members));
    return entry.gate;
  }

  /** The subscription stopped here: it leaves its gate, which closes when no member is left. */
  remove(subscriptionId: number): void {
    this.detach(subscriptionId);
  }

  onApplicationShutdown(): void {
    for (const entry of this.shared.values()) entry.gate.close();
    this.shared.clear();
    this.keyOf.clear();
  }

  private detach(subscriptionId: number): void {
    const key = this.keyOf.get(subscriptionId);
    if (key === undefined) return;
    this.keyOf.delete(subscriptionId);
    const entry = this.shared.get(key);
    if (!entry) return;
    entry.members.delete(subscriptionId);
    if (entry.members.size === 0) {
      entry.gate.close();
      this.shared.delete(key);
    } else {
      entry.gate.setRate(effectiveRate(entry.members));
    }
  }
}

function groupKey(group: string): string {
  return `g:${group}`;
}

function effectiveRate(members: Map<number, number>): number {
  let rate = 0;
  for (const r of members.values()) if (r > 0 && (rate === 0 || r < rate)) rate = r;
  return rate;
}
