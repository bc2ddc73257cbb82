import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { RateGate } from './rate-gate';

interface Member {
  readonly subscriptionId: number;
  /** Its subscription's ratePerSec (0 = no limit of its own). */
  rate: number;
  /** Consumers: the fraction of its topic's partitions this instance owns; null until told. Borrowers: null. */
  share: number | null;
}

interface Shared {
  readonly gate: RateGate;
  /** Members are consumers and borrowers (dead-letter re-delivery). */
  readonly members: Map<string, Member>;
}

/** What every instance knows alike from the stored config and placement (ClusterPlacement). */
export interface ClusterRates {
  /** Running subscription id -> the number of instances it is placed on (≥ 1). */
  readonly instances: ReadonlyMap<number, number>;
  /** Rate group -> the lowest positive ratePerSec among its running subscriptions (0: none) and how many run. */
  readonly groups: ReadonlyMap<string, { readonly rate: number; readonly subscriptions: number }>;
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
 *
 * Rates are cluster-wide totals once the supervisor has told the registry the cluster's picture
 * (setCluster): each instance takes the share of the partitions it owns. A subscription's gate
 * runs at ratePerSec × owned/partitions. A group of N running subscriptions gives each an equal
 * 1/N of its rate, split over that subscription's partitions: the gate runs at
 * rate × Σ(owned_i/partitions_i)/N over the members here. Summed over the instances that is the
 * group's rate whatever the partition counts, and nothing needs another instance's partition
 * count; members sharing an instance share its slices. An instance owning no partition of the
 * gate's subscriptions (waiting for an assignment, or only re-delivering) runs at one instance's
 * even slice, rate × 1/(instances it is placed on)/N, so a re-delivery there is not unlimited.
 * Without the picture (a subscription not running anywhere, unit use) a gate runs at the whole rate.
 */
@Injectable()
export class RateGateRegistry implements OnApplicationShutdown {
  private readonly shared = new Map<string, Shared>();
  private readonly keyOf = new Map<string, string>();
  private borrowers = 0;
  private cluster: ClusterRates | null = null;

  /** For the consumer, which owns the rate: joins (or moves to) the right gate and applies the rate. */
  attach(subscriptionId: number, rateGroup: string | null, ratePerSec: number): RateGate {
    return this.join(`consumer:${subscriptionId}`, subscriptionId, gateKey(subscriptionId, rateGroup), ratePerSec);
  }

  /**
   * The consumer's assignment changed: it owns `share` (0..1) of its topic's partitions here.
   * @throws RangeError when share is outside 0..1
   */
  setShare(subscriptionId: number, share: number): void {
    if (!(share >= 0 && share <= 1)) throw new RangeError(`a partition share is between 0 and 1, got ${share}`);
    const member = `consumer:${subscriptionId}`;
    const key = this.keyOf.get(member);
    const entry = key === undefined ? undefined : this.shared.get(key);
    const m = entry?.members.get(member);
    if (!entry || !m || m.share === share) return;
    m.share = share;
    entry.gate.setRate(this.effectiveRate(key!, entry.members));
  }

  /** The cluster's picture changed (every reconcile): every gate's rate is computed again. */
  setCluster(cluster: ClusterRates): void {
    this.cluster = cluster;
    for (const [key, entry] of this.shared) entry.gate.setRate(this.effectiveRate(key, entry.members));
  }

  /** The subscription stopped here: it leaves its gate. */
  remove(subscriptionId: number): void {
    this.leave(`consumer:${subscriptionId}`);
  }

  /** For one re-delivery run: the gate the subscription's live traffic uses, held until released. */
  borrow(subscriptionId: number, rateGroup: string | null, ratePerSec: number): BorrowedGate {
    const member = `borrower:${++this.borrowers}`;
    const gate = this.join(member, subscriptionId, gateKey(subscriptionId, rateGroup), ratePerSec);
    return { gate, release: () => this.leave(member) };
  }

  onApplicationShutdown(): void {
    for (const entry of this.shared.values()) entry.gate.close();
    this.shared.clear();
    this.keyOf.clear();
  }

  private join(member: string, subscriptionId: number, key: string, ratePerSec: number): RateGate {
    const previous = this.keyOf.get(member);
    // The partitions it owns go with it to another gate.
    const share = previous === undefined ? null : (this.shared.get(previous)?.members.get(member)?.share ?? null);
    if (previous !== undefined && previous !== key) this.leave(member);
    let entry = this.shared.get(key);
    if (!entry) {
      entry = { gate: new RateGate(0), members: new Map() };
      this.shared.set(key, entry);
    }
    entry.members.set(member, { subscriptionId, rate: ratePerSec, share });
    this.keyOf.set(member, key);
    entry.gate.setRate(this.effectiveRate(key, entry.members));
    return entry.gate;
  }

  private effectiveRate(key: string, members: Map<string, Member>): number {
    const local = lowestRate(members);
    const cluster = this.cluster;
    const group = key.startsWith('group:') ? key.slice('group:'.length) : null;
    const known = group !== null ? cluster?.groups.get(group) : undefined;
    if (!cluster || (group !== null && !known)) return local;
    const rate = known ? known.rate : local;
    if (rate === 0) return 0;
    const subscriptions = known ? Math.max(1, known.subscriptions) : 1;
    let owned = 0;
    let even = 0;
    for (const m of members.values()) {
      owned += m.share ?? 0;
      const placed = cluster.instances.get(m.subscriptionId);
      even = Math.max(even, placed ? 1 / placed : 1);
    }
    // A subscription of a group counted here but not yet in the picture still counts once.
    return (rate * (owned > 0 ? Math.min(owned, subscriptions) : even)) / subscriptions;
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
      entry.gate.setRate(this.effectiveRate(key, entry.members));
    }
  }
}

function gateKey(subscriptionId: number, rateGroup: string | null): string {
  return rateGroup ? `group:${rateGroup}` : `subscription:${subscriptionId}`;
}

function lowestRate(members: Map<string, Member>): number {
  let rate = 0;
  for (const { rate: r } of members.values()) if (r > 0 && (rate === 0 || r < rate)) rate = r;
  return rate;
}
