import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app.config';
import { PlacementMembers, type MembersView } from './placement-members';
import { RendezvousPlacement, type PlacementDecision } from './rendezvous-placement';

interface LivenessRow {
  id: string;
  stopped: number | string;
  age_ms: number | string;
  live_for_ms: number | string | null;
}

/**
 * Where subscriptions run in this cluster: the instances table read by the database clock
 * (PlacementMembers decides who counts) and rendezvous hashing over those members
 * (RendezvousPlacement). Every instance computes the same answer, so there is no coordinator.
 */
@Injectable()
export class ClusterPlacement {
  private readonly members: PlacementMembers;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {
    // Two beats in a row: the process is up and heartbeating, not a start that dies at once.
    this.members = new PlacementMembers({
      self: config.instanceId,
      instanceTimeoutMs: config.instanceTimeoutMs,
      joinAfterMs: Math.floor(config.heartbeatIntervalMs / 2),
    });
  }

  /** The members placement chooses among, as last read; only this instance before the first read. */
  get view(): MembersView {
    return this.members.current ?? { members: [this.config.instanceId], live: [this.config.instanceId] };
  }

  /**
   * Reads the instances table and returns who counts now.
   * @throws the database error when the table cannot be read (callers keep what runs)
   */
  async refresh(): Promise<MembersView> {
    let rows: LivenessRow[];
    try {
      rows = await this.dataSource.query(
        `SELECT id, stopped_at IS NOT NULL AS stopped,
                TIMESTAMPDIFF(MICROSECOND, last_seen_at, CURRENT_TIMESTAMP(3)) DIV 1000 AS age_ms,
                TIMESTAMPDIFF(MICROSECOND, live_since, last_seen_at) DIV 1000 AS live_for_ms
         FROM instances`,
      );
    } catch (err) {
      this.members.readFailed();
      throw err;
    }
    return this.members.observe(
      rows.map((r) => ({
        id: r.id,
        stopped: Number(r.stopped) === 1,
        ageMs: Number(r.age_ms),
        // Rows heartbeaten before live_since existed count as long live.
        liveForMs: r.live_for_ms === null ? Number.MAX_SAFE_INTEGER : Number(r.live_for_ms),
      })),
      performance.now(),
    );
  }

  /** The replicas a subscription asks for: its own, or SUBSCRIPTION_REPLICAS. */
  replicasOf(replicas: number | null | undefined): number {
    return replicas ?? this.config.subscriptionReplicas;
  }

  /** Where the subscription should run by the last view (see RendezvousPlacement.place). */
  decide(subscriptionId: number, hosts: readonly string[], replicas: number | null | undefined): PlacementDecision {
    return RendezvousPlacement.place(subscriptionId, hosts, this.replicasOf(replicas), this.view.members);
  }

  /** Whether this instance should run the subscription by the last view. */
  runsHere(subscriptionId: number, hosts: readonly string[], replicas: number | null | undefined): boolean {
    return this.decide(subscriptionId, hosts, replicas).instances.includes(this.config.instanceId);
  }
}
