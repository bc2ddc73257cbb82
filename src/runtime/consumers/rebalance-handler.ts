import type { CommitManager } from './commit-manager';
import type { KafkaSession, RebalanceEvent, SubscriptionLog } from './kafka-session';
import type { PartitionLedger, PositionOf } from './partition-ledger';
import type { PartitionStarts } from './partition-starts';

/** What a rebalance needs of the consumer beyond the session, the ledger and the starts. */
export interface RebalanceHost {
  readonly commits: Pick<CommitManager, 'releaseHold' | 'commitNow'>;
  /** Running (not stopping): start positions are only asked for then. */
  running(): boolean;
  /** Partitions were taken up: look for outside group members, read parked keys again before dispatching. */
  assigned(): void;
  /** The consumer owns `partitions` partitions now (rate shares follow). */
  ownershipChanged(partitions: number): void;
  /** The consumer owns no partition any more (it polls fast for a while). */
  unassigned(): void;
  /** Forget a partition's buffered records: it moved. */
  dropBuffered(partition: number): void;
  readonly log: SubscriptionLog;
}

/**
 * Serves the group's rebalances one after another (an assignment waits for the broker's answers
 * on where its partitions start, and a revoke must not overtake it): takes assigned partitions
 * up at positions decided once and commits them, and commits what is done before revoked
 * partitions move (KIP-429 for the cooperative protocol's incremental assign and unassign).
 */
export class RebalanceHandler {
  /** Done offsets whose revoke commit the broker refused, for partitions handed straight back. */
  private resumeAt: Map<number, number> | null = null;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly session: KafkaSession,
    private readonly ledger: PartitionLedger,
    private readonly starts: PartitionStarts,
    private readonly position: PositionOf,
    private readonly host: RebalanceHost,
  ) {}

  /** Resolves once every event queued so far is served (a stop waits for it before closing the client). */
  settled(): Promise<void> {
    return this.queue;
  }

  /** Queues a rebalance event behind the ones before it. */
  handle(event: RebalanceEvent): void {
    this.queue = this.queue.then(() => this.rebalance(event));
  }

  private async rebalance(event: RebalanceEvent): Promise<void> {
    this.host.commits.releaseHold();
    try {
      if (event.kind === 'assign') await this.assign(event.assignment, event.cooperative);
      else if (event.kind === 'revoke') this.revoke(event.assignment, event.cooperative);
      else this.host.log('error', 'rebalance error', { err: event.message, code: event.code });
      if (this.session.live) this.host.ownershipChanged(this.ledger.size);
    } catch (e) {
      this.host.log('error', 'rebalance handling failed', { err: (e as Error).message });
    }
  }

  /**
   * Takes up newly assigned partitions at positions decided once (PartitionStarts), and commits
   * every position that is not the group's committed offset at once, so a stop, a crash or a
   * rebalance continues from it. A record of a previous ownership may still be settling: its
   * lane keeps later records of the same partition or key waiting, so order holds across the
   * reassignment.
   */
  private async assign(assignment: Extract<RebalanceEvent, { kind: 'assign' }>['assignment'], cooperative: boolean): Promise<void> {
    // A partition handed straight back after a refused revoke commit starts after what this
    // member delivered, not at the stale committed offset. Nobody else owned it in between,
    // and should someone have, starting here only repeats records; it never skips one.
    const resume = this.resumeAt;
    this.resumeAt = null;
    const resolved = await this.starts.resolve(
      () => this.session.offsetSource(),
      () => this.session.live && this.host.running(),
      assignment.map((tp) => tp.partition),
      resume,
    );
    let commit = false;
    for (const tp of assignment) {
      const start = resolved?.starts.get(tp.partition);
      if (this.ledger.assign(tp.partition, start, resolved?.topicId ?? null)) commit = true;
      if (!start) continue;
      tp.offset = start.offset;
      this.starts.note(start);
    }
    if (commit) setImmediate(() => void this.host.commits.commitNow());
    this.session.assign(assignment, cooperative);
    this.host.assigned();
    this.host.log('info', 'partitions assigned', {
      partitions: assignment.map((tp) => tp.partition),
      ...(resolved ? { startAt: [...resolved.starts.values()].map((s) => `${s.partition}:${s.offset} (${s.reason})`) } : {}),
    });
  }

  /**
   * Commits what is done before the partitions move; records still in flight are not done and
   * will be delivered again by the new owner. A stop has already sent its final commit and let
   * go of the client before closing it: the revoke that the close fires can no longer commit,
   * and has nothing left to.
   */
  private revoke(assignment: Extract<RebalanceEvent, { kind: 'revoke' }>['assignment'], cooperative: boolean): void {
    const partitions = assignment.map((tp) => tp.partition);
    const closing = !this.session.live;
    const offsets = closing ? [] : this.ledger.doneOffsets(this.position, partitions);
    if (offsets.length && !this.session.assignmentLost()) {
      try {
        this.session.commitSync(offsets);
      } catch (e) {
        this.resumeAt = new Map(offsets.map((o) => [o.partition, o.offset]));
        this.host.log('warn', 'commit on revoke failed; a partition handed back starts after what was delivered', {
          err: (e as Error).message,
          offsets: offsets.map((o) => `${o.partition}:${o.offset}`),
        });
      }
    }
    const paused = this.ledger.revoke(partitions);
    for (const p of partitions) this.host.dropBuffered(p);
    // A closing client refuses resume (ERR__STATE) and will not be assigned again. Whatever
    // fails here, the unassign below must happen: librdkafka's close waits for it (seen on a
    // real broker: a stop hung 10 s after a refused resume skipped the unassign).
    if (!closing) this.session.resume(paused, true);
    this.session.unassign(assignment, cooperative);
    if (this.ledger.size === 0) this.host.unassigned();
    this.host.log('info', 'partitions revoked', { partitions });
  }
}
