/** One row of the instances table as placement reads it; ages by the database clock, ms. */
export interface InstanceLiveness {
  readonly id: string;
  /** Since its last heartbeat. */
  readonly ageMs: number;
  /** From the first to the latest beat of its current run of heartbeats (none missed by more than the timeout). */
  readonly liveForMs: number;
  /** It said goodbye on shutdown. */
  readonly stopped: boolean;
}

export interface MembersSettings {
  /** This instance's id: always live to itself. */
  readonly self: string;
  /** INSTANCE_TIMEOUT_MS: a heartbeat older than this is a dead instance. */
  readonly instanceTimeoutMs: number;
  /** A (re)joining instance counts once it has been live this long (a crash-looping one never does). */
  readonly joinAfterMs: number;
}

/** Who counts for placement now, and the live instances. */
export interface MembersView {
  /** Instance ids placement chooses among, sorted. */
  readonly members: readonly string[];
  /** Every live instance, sorted (members plus those still within their join delay). */
  readonly live: readonly string[];
}

/**
 * Decides which instances count for placement from the instances table, so that every instance
 * reaches the same list and placement does not flap:
 * - an instance counts once its unbroken run of heartbeats spans `joinAfterMs` from the first
 *   to the last (ClusterPlacement asks for half an interval: two beats in a row), so one stray
 *   beat of a crash-looping process moves nothing, however long ago it was; if none does yet
 *   (a whole cluster starting), every live instance counts, so a lone instance starts work at once;
 * - it stops counting when it said goodbye or its heartbeat is older than the timeout; a late
 *   heartbeat within the timeout changes nothing;
 * - after this instance could not read the table (database unreachable), the members it knew
 *   keep counting for one timeout unless they said goodbye: every heartbeat failed during the
 *   outage, and the others need one timeout to beat again before their ages mean anything.
 *   While the table cannot be read the supervisor keeps what runs.
 * Pure: the caller passes the rows and its monotonic clock (ms).
 */
export class PlacementMembers {
  private known: MembersView | null = null;
  private failing = false;
  private recoveringUntil = 0;

  constructor(private readonly settings: MembersSettings) {}

  /** The last view computed, or null before the first successful read. */
  get current(): MembersView | null {
    return this.known;
  }

  /** The table could not be read at `nowMs`. */
  readFailed(): void {
    this.failing = true;
  }

  /** The view from a successful read of every row at `nowMs`. */
  observe(rows: readonly InstanceLiveness[], nowMs: number): MembersView {
    const { self, instanceTimeoutMs, joinAfterMs } = this.settings;
    if (this.failing) {
      this.failing = false;
      if (this.known) this.recoveringUntil = nowMs + instanceTimeoutMs;
    }
    const live = new Set<string>([self]);
    const joined = new Set<string>();
    const stopped = new Set<string>();
    for (const row of rows) {
      if (row.stopped) {
        stopped.add(row.id);
        continue;
      }
      if (row.id !== self && row.ageMs >= instanceTimeoutMs) continue;
      live.add(row.id);
      if (row.liveForMs >= joinAfterMs) joined.add(row.id);
    }
    if (nowMs < this.recoveringUntil && this.known) {
      for (const id of this.known.members) {
        if (id === self || !stopped.has(id)) {
          live.add(id);
          joined.add(id);
        }
      }
    }
    const members = joined.size ? joined : live;
    this.known = { members: [...members].sort(), live: [...live].sort() };
    return this.known;
  }
}
