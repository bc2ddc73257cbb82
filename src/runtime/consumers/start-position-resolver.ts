/** What the resolver needs to know of the group and the topic; ConsumerOffsetSource asks the broker. */
export interface OffsetSource {
  /** The group's committed offset for each of `partitions` that has one (others are absent). */
  committed(partitions: readonly number[]): Promise<Map<number, number>>;
  /** Every partition of the topic, per the cluster's metadata. */
  partitions(): Promise<number[]>;
  /** The partition's log start (low) and high watermark, from its leader. */
  watermarks(partition: number): Promise<{ low: number; high: number }>;
}

/**
 * Why a partition starts where it does:
 * - `committed`: at the group's committed offset, which is still on the broker;
 * - `resumed`: after what this member delivered, its revoke commit having been refused;
 * - `start-from`: the subscription's first start, at its `startFrom` (earliest or latest);
 * - `new-partition`: no commit for it while the group has commits on the topic's other
 *   partitions, so it was added after the subscription started: at its beginning;
 * - `commits-lost`: no partition of the topic has a commit, but the subscription took the topic
 *   up before (kproxy's own record): Kafka forgot the group's offsets (offset retention, topic
 *   deleted and recreated): at the log start, repeating rather than skipping;
 * - `log-start`: the committed offset is below the log start (retention or DeleteRecords
 *   removed records nobody delivered): at the log start, the gap counted as skipped;
 * - `offsets-went-back`: the committed offset is past the high watermark (the topic was
 *   deleted and recreated, or an unclean leader election truncated the log): at the log start.
 */
export type StartReason = 'committed' | 'resumed' | 'start-from' | 'new-partition' | 'commits-lost' | 'log-start' | 'offsets-went-back';

export interface PartitionStart {
  readonly partition: number;
  /** The offset to fetch from (the next record to deliver). */
  readonly offset: number;
  readonly reason: StartReason;
  /** The group's committed offset before this decision, or null when it had none. */
  readonly committed: number | null;
  /** Records between the committed offset and the log start that no longer exist (`log-start`). */
  readonly skipped: number;
  /** True when `offset` is not what the group has committed: commit it at once. */
  readonly commit: boolean;
}

/**
 * Decides, once per assignment, where each assigned partition starts, so that librdkafka never
 * re-resolves `auto.offset.reset` on its own: a `latest` that is resolved again after a stop
 * skips everything produced while the subscription was stopped (issue 14). Every position that
 * is not the group's committed offset is meant to be committed at once, so a stop, a crash or a
 * rebalance continues from it.
 *
 * Rules, in order: a resume offset wins; a committed offset inside [log start, high watermark]
 * stands; one below the log start moves to the log start (the difference is counted as
 * skipped); one past the high watermark means the offsets went back and starts at the log
 * start; a partition without one starts at its beginning when the topic's other partitions
 * have commits (it was added later) or when `startedBefore` says the subscription took the
 * topic up before (Kafka forgot the offsets), else at `startFrom` (the first start).
 * Throws whatever the source throws (the broker did not answer): the caller retries.
 */
export class StartPositionResolver {
  static async resolve(
    source: OffsetSource,
    partitions: readonly number[],
    startFrom: 'earliest' | 'latest',
    resume: ReadonlyMap<number, number> | null,
    startedBefore: () => Promise<boolean>,
  ): Promise<PartitionStart[]> {
    if (partitions.length === 0) return [];
    const committed = await source.committed(partitions);
    const marks = await Promise.all(partitions.map((p) => source.watermarks(p)));
    let groupHasCommits: boolean | null = committed.size > 0 ? true : null;
    let forgotten: boolean | null = null;
    const out: PartitionStart[] = [];
    for (let i = 0; i < partitions.length; i++) {
      const partition = partitions[i];
      const { low, high } = marks[i];
      const at = committed.get(partition);
      const was = at ?? null;
      const resumed = resume?.get(partition);
      if (resumed !== undefined) {
        out.push({ partition, offset: Math.max(resumed, low), reason: 'resumed', committed: was, skipped: Math.max(0, low - resumed), commit: true });
      } else if (at !== undefined) {
        if (at < low) out.push({ partition, offset: low, reason: 'log-start', committed: at, skipped: low - at, commit: true });
        else if (at > high) out.push({ partition, offset: low, reason: 'offsets-went-back', committed: at, skipped: 0, commit: true });
        else out.push({ partition, offset: at, reason: 'committed', committed: at, skipped: 0, commit: false });
      } else {
        if (groupHasCommits === null) {
          const others = (await source.partitions()).filter((p) => !partitions.includes(p));
          groupHasCommits = others.length > 0 && (await source.committed(others)).size > 0;
        }
        if (groupHasCommits) out.push({ partition, offset: low, reason: 'new-partition', committed: null, skipped: 0, commit: true });
        else if ((forgotten ??= await startedBefore())) out.push({ partition, offset: low, reason: 'commits-lost', committed: null, skipped: 0, commit: true });
        else out.push({ partition, offset: startFrom === 'earliest' ? low : high, reason: 'start-from', committed: null, skipped: 0, commit: true });
      }
    }
    return out;
  }
}
