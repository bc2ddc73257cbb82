import type { RecordedStart } from '../offsets/consumer-starts.repository';

/** What the resolver needs to know of the group and the topic; ConsumerOffsetSource asks the broker. */
export interface OffsetSource {
  /** The group's committed offset for each of `partitions` that has one (others are absent). */
  committed(partitions: readonly number[]): Promise<Map<number, number>>;
  /** Every partition of the topic, per the cluster's metadata. */
  partitions(): Promise<number[]>;
  /** Each partition's log start (`earliest`) or end (`latest`). */
  offsets(partitions: readonly number[], which: 'earliest' | 'latest'): Promise<Map<number, number>>;
  /** The topic's id (KIP-516): it changes when the topic is deleted and recreated. */
  topicId(): Promise<string>;
}

/** kproxy's own record of first starts (table consumer_starts), for one subscription, group and topic. */
export interface StartLedger {
  read(): Promise<Map<number, RecordedStart>>;
  /** Records positions not recorded yet (an existing one wins); `replace` first drops rows of another topic id. */
  record(
    topicId: string | null,
    starts: ReadonlyArray<{ partition: number; offset: number; reason: RecordedStart['reason'] }>,
    replace?: boolean,
  ): Promise<void>;
}

export interface ResolvedStarts {
  readonly starts: PartitionStart[];
  /** The topic's id now (null when the broker did not say); the consumer watches it to notice a recreation while it runs. */
  readonly topicId: string | null;
}

/**
 * Why a partition starts where it does:
 * - `committed`: at the group's committed offset (if the broker no longer has it, the consumer
 *   notices on its first fetch: see PartitionLedger.offsetJump);
 * - `resumed`: after what this member delivered, its revoke commit having been refused;
 * - `start-from`: the subscription's first start, at its `startFrom` resolved once for every
 *   partition of the topic and recorded (members starting together read the same positions);
 * - `new-partition`: a partition added after the first start: at its beginning;
 * - `commits-lost`: recorded long ago but the group has no commit on any partition: Kafka
 *   forgot its offsets (offset retention): at the recorded start or the log start, whichever is
 *   later, repeating rather than skipping;
 * - `topic-recreated`: recorded under another topic id: the topic was deleted and recreated
 *   since (Kafka dropped the group's offsets with it): at the new topic's log start.
 */
export type StartReason = 'committed' | 'resumed' | 'start-from' | 'new-partition' | 'commits-lost' | 'topic-recreated';

export interface PartitionStart {
  readonly partition: number;
  /** The offset to fetch from (the next record to deliver). */
  readonly offset: number;
  readonly reason: StartReason;
  /** The group's committed offset before this decision, or null when it had none. */
  readonly committed: number | null;
  /** Records between the recorded start and the log start that no longer exist. */
  readonly skipped: number;
  /** True when `offset` is not what the group has committed: commit it at once. */
  readonly commit: boolean;
}

/**
 * Decides, once per assignment, where each assigned partition starts, so that librdkafka never
 * re-resolves `auto.offset.reset` on its own: a `latest` resolved again after a stop skips
 * everything produced while the subscription was stopped (issue 14).
 *
 * A committed offset stands (a resume offset wins over it). A partition without one starts at
 * its recorded first start (StartLedger), no earlier than its log start. Without a record: on
 * the subscription's first start (no record and no commit for any partition of the topic),
 * `startFrom` is resolved for every partition and recorded, first writer wins; otherwise the
 * partition was added later and starts at its beginning. Every position that is not the
 * committed one is meant to be committed at once. Throws whatever the source or ledger throws
 * (the broker or the database did not answer): the caller retries.
 */
export class StartPositionResolver {
  static async resolve(
    source: OffsetSource,
    ledger: StartLedger,
    partitions: readonly number[],
    startFrom: 'earliest' | 'latest',
    resume: ReadonlyMap<number, number> | null,
  ): Promise<ResolvedStarts> {
    // Best effort: a broker without topic ids (or DescribeTopics: librdkafka's mock) must not
    // hold the assignment; the running consumer learns the id later. Where the first start
    // recorded an id, though, the broker has them: decide() refuses to go on without it.
    let idError: unknown = null;
    const topicId = await source.topicId().catch((err: unknown) => {
      idError = err;
      return null;
    });
    if (partitions.length === 0) return { starts: [], topicId };
    const committed = await source.committed(partitions);
    const undecided = partitions.filter((p) => !committed.has(p) && resume?.get(p) === undefined);
    const decided =
      undecided.length > 0 ? await StartPositionResolver.decide(source, ledger, topicId, idError, committed.size > 0, undecided, startFrom) : null;
    const starts = partitions.map((partition): PartitionStart => {
      const at = committed.get(partition);
      const was = at ?? null;
      const resumed = resume?.get(partition);
      if (resumed !== undefined) return { partition, offset: resumed, reason: 'resumed', committed: was, skipped: 0, commit: true };
      if (at !== undefined) return { partition, offset: at, reason: 'committed', committed: at, skipped: 0, commit: false };
      return decided!.get(partition)!;
    });
    return { starts, topicId };
  }

  private static async decide(
    source: OffsetSource,
    ledger: StartLedger,
    topicId: string | null,
    /** Why the topic's id could not be read now (null: it was, or the broker has none). */
    idError: unknown,
    assignedHaveCommits: boolean,
    undecided: readonly number[],
    startFrom: 'earliest' | 'latest',
  ): Promise<Map<number, PartitionStart>> {
    let recorded = await ledger.read();
    const all = await source.partitions();
    const storedId = [...recorded.values()].find((r) => r.topicId !== null)?.topicId ?? null;
    if (storedId !== null && topicId === null) {
      // Without the id a recreated topic looks like the recorded one: its partitions would start
      // at the old topic's offsets (and be rewound on the first record). The caller asks again.
      const why = idError instanceof Error ? idError.message : String(idError ?? 'the broker gave none');
      throw new Error(`the topic's id was recorded at the first start but cannot be read now, so a recreated topic cannot be told apart: ${why}`);
    }
    if (storedId !== null && topicId !== null && storedId !== topicId) {
      // Deleted and recreated since the first start: the new topic is delivered from its start.
      const low = await source.offsets(all, 'earliest');
      await ledger.record(
        topicId,
        all.map((p) => ({ partition: p, offset: low.get(p)!, reason: 'new-partition' as const })),
        true,
      );
      return new Map(
        undecided.map((partition) => [
          partition,
          { partition, offset: low.get(partition)!, reason: 'topic-recreated' as const, committed: null, skipped: 0, commit: true },
        ]),
      );
    }
    let groupHasCommits = assignedHaveCommits;
    if (!groupHasCommits) {
      const others = all.filter((p) => !undecided.includes(p));
      groupHasCommits = others.length > 0 && (await source.committed(others)).size > 0;
    }
    const missing = undecided.filter((p) => !recorded.has(p));
    if (missing.length > 0) {
      if (recorded.size === 0 && !groupHasCommits) {
        // The first start: one position per partition of the topic, for every member.
        const at = await source.offsets(all, startFrom);
        await ledger.record(
          topicId,
          all.filter((p) => at.has(p)).map((p) => ({ partition: p, offset: at.get(p)!, reason: 'start-from' as const })),
        );
      } else {
        const at = await source.offsets(missing, 'earliest');
        await ledger.record(
          topicId,
          missing.map((p) => ({ partition: p, offset: at.get(p)!, reason: 'new-partition' as const })),
        );
      }
      recorded = await ledger.read();
    }
    const low = await source.offsets(undecided, 'earliest');
    const out = new Map<number, PartitionStart>();
    for (const partition of undecided) {
      const start = recorded.get(partition);
      if (!start) throw new Error(`no start position recorded for partition ${partition}`);
      const logStart = low.get(partition)!;
      const lost = !groupHasCommits && start.aged;
      out.set(partition, {
        partition,
        offset: Math.max(start.offset, logStart),
        reason: lost ? 'commits-lost' : start.reason,
        committed: null,
        // Whether records after a start decided long ago were delivered is unknown once Kafka
        // forgot the offsets; a fresh start's records the log start passed were never read.
        skipped: lost ? 0 : Math.max(0, logStart - start.offset),
        commit: true,
      });
    }
    return out;
  }
}
