import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { RateGate } from './rate-gate';

interface Shared {
  readonly gate: RateGate;
  /** Member -> its ratePerSec (0 = no limit of its own). Members are consumers and borrowers. */
  readonly members: Map<string, number>;
}

export interface BorrowedGate {
  readonly gate: RateGate;
  /** Gives the gate back; it closes when nobody else holds it. */
  release(): void;
}

/**
 * Rate gates per process. A subscription has its own gate, shared by its consumer and by
 * dead-letter re-delivery so a replay of failures cannot overrun the live limit. Subscriptions
 * whose endpoint names the same rateGroup share one gate, held to the lowest positive rate among
 * them: the group protects one business API, so the strictest member's limit is the one to keep.
 * A gate lives while anyone holds it, so a re-delivery keeps its limit when the consumer stops.
 */
@Injectable()
export class RateGateRegistry implements OnApplicationShutdown {
  private readonly shared = new Map<string, Shared>();
  private readonly keyOf = new Map<string, string>();
  private borrowers = 0;

  /** For the consumer, which owns the rate: joins (or moves to) the right gate and applies the rate. */
  attach(subscriptionId: number, rateGroup: string | null, ratePerSec: number): RateGate {
    return this.join(`consumer:${subscriptionId}`, gateKey(subscriptionId, rateGroup), ratePerSec);
  }

  /** The subscription stopped here: it leaves its gate. */
  remove(subscriptionId: number): void {
    this.leave(`consumer:${subscriptionId}`);
  }

  /** For one re-delivery run: the gate the subscription's live traffic uses, held until released. */
  borrow(subscriptionId: number, rateGroup: string | null, ratePerSec: number): BorrowedGate {
    const member = `borrower:${++this.borrowers}`;
    const gate = this.join(member, gateKey(subscriptionId, rateGroup), ratePerSec);
    return { gate, release: () => this.leave(member) };
  }

  onApplicationShutdown(): void {
    for (const entry of this.shared.values()) entry.gate.close();
    this.shared.clear();
    this.keyOf.clear();
  }

  private join(member: string, key: string, ratePerSec: number): RateGate {
    const previous = this.keyOf.get(member);
    if (previous !== undefined && previous !== key) this.leave(member);
    let entry = this.shared.get(key);
    if (!entry) {
      entry = { gate: new RateGate(0), members: new Map() };
      this.shared.set(key, entry);
    }
    entry.members.set(member, ratePerSec);
    this.keyOf.set(member, key);
    entry.gate.setRate(effectiveRate(entry.members));
    return entry.gate;
  }

  private leave(member: string): void {
    const key = this.keyOf.get(member);
    if (key === undefined) return;
    this.keyOf.delete(member);
    const entry = this.shared.get(key);
    if (!entry) return;
    entry.members.delete(member);
    if (entry.members.size === 0) {
      entry.gate.close();
      this.shared.delete(key);
    } else {
      entry.gate.setRate(effectiveRate(entry.members));
    }
  }
}

function gateKey(subscriptionId: number, rateGroup: string | null): string {
  return rateGroup ? `group:${rateGroup}` : `subscription:${subscriptionId}`;
}

function effectiveRate(members: Map<string, number>): number {
  let rate = 0;
  for (const r of members.values()) if (r > 0 && (rate === 0 || r < rate)) rate = r;
  return rate;
}
