/** Where one subscription should run, and why, as every instance computes it from the same table. */
export interface PlacementDecision {
  /** pinned: `hosts` lists the instances; rendezvous: chosen among the members; waiting: no member to choose. */
  readonly mode: 'pinned' | 'rendezvous' | 'waiting';
  /** Instance ids that should run it, best first (pinned: as listed). */
  readonly instances: readonly string[];
  /** For people: "pinned by hosts: a, b", "rendezvous: 2 of 3 live instances: a, b", "waiting: no live instance". */
  readonly reason: string;
}

/**
 * Rendezvous (highest random weight) hashing: each (subscription, instance) pair gets a
 * pseudo-random score and a subscription runs on the `replicas` members with the highest scores
 * (Thaler & Ravishankar, "Using Name-Based Mappings to Increase Hit Rates", IEEE/ACM ToN 1998).
 * Every instance reaches the same answer from the same member list without a coordinator, the
 * spread is even, and a member joining or leaving moves only the subscriptions whose top
 * `replicas` it enters or leaves (about replicas/n of them). Pure: no I/O, no clock.
 */
export class RendezvousPlacement {
  /**
   * @param subscriptionId the subscription's id
   * @param hosts its `hosts`: non-empty pins it to exactly those instance ids, replicas ignored
   * @param replicas how many members run it (≥ 1); fewer when fewer members count
   * @param members instance ids that count for placement (live, past their join delay)
   * @throws RangeError when replicas is not a whole number ≥ 1
   */
  static place(subscriptionId: number, hosts: readonly string[], replicas: number, members: readonly string[]): PlacementDecision {
    if (!Number.isInteger(replicas) || replicas < 1) throw new RangeError(`replicas must be a whole number of at least 1, got ${replicas}`);
    if (hosts.length) return { mode: 'pinned', instances: [...hosts], reason: `pinned by hosts: ${hosts.join(', ')}` };
    const unique = [...new Set(members)];
    if (unique.length === 0) return { mode: 'waiting', instances: [], reason: 'waiting: no live instance' };
    const chosen = RendezvousPlacement.rank(subscriptionId, unique).slice(0, replicas);
    const live = unique.length === 1 ? '1 live instance' : `${unique.length} live instances`;
    return { mode: 'rendezvous', instances: chosen, reason: `rendezvous: ${chosen.length} of ${live}: ${chosen.join(', ')}` };
  }

  /** The members ordered by their score for this subscription, highest first; ties by id. */
  static rank(subscriptionId: number, members: readonly string[]): string[] {
    return members
      .map((id) => ({ id, score: RendezvousPlacement.score(subscriptionId, id) }))
      .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((m) => m.id);
  }

  /**
   * A 32-bit score of the pair: FNV-1a over the instance id's UTF-16 code units seeded with the
   * subscription id, then MurmurHash3's fmix32 finalizer so that nearby ids and names spread.
   */
  static score(subscriptionId: number, instanceId: string): number {
    let h = 0x811c9dc5 ^ fmix32(subscriptionId >>> 0) ^ Math.floor(subscriptionId / 0x1_0000_0000);
    for (let i = 0; i < instanceId.length; i++) {
      h ^= instanceId.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    return fmix32(h >>> 0);
  }
}

/** MurmurHash3's 32-bit finalizer (Austin Appleby, public domain): full avalanche of the bits. */
function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
