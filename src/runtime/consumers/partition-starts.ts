import { setTimeout as sleep } from 'node:timers/promises';
import type { SubscriptionMetrics } from '../../metrics/subscription-metrics';
import type { ConsumerStartsRepository, RecordedStart } from '../offsets/consumer-starts.repository';
import { COMMIT_STALL_REPORT_MS } from './commit-manager';
import type { CompiledSubscription } from './compiled-subscription';
import type { SubscriptionLog } from './kafka-session';
import { StartPositionResolver, type OffsetSource, type PartitionStart, type StartLedger } from './start-position-resolver';

/**
 * A recorded first start older than this, while the group has no commit on any partition, means
 * Kafka forgot the group's offsets; younger, it is a member of the same first start. Members
 * commit their start positions within milliseconds of recording them.
 */
const START_AGED_MS = 60_000;

export interface PartitionStartsDeps {
  /** Whether this subscription took its topic up before, when Kafka no longer says so. */
  readonly starts: Pick<ConsumerStartsRepository, 'read' | 'record'>;
  readonly metrics: SubscriptionMetrics;
  readonly log: SubscriptionLog;
  readonly reportProblem: (message: string) => void;
}

/** Where assigned partitions start, and the topic id they start under. */
export interface AssignedStarts {
  readonly starts: Map<number, PartitionStart>;
  readonly topicId: string | null;
}

/**
 * Decides where newly assigned partitions start (StartPositionResolver over the broker's answers
 * and kproxy's own record of first starts), asking again with backoff until the broker answers,
 * and logs, counts and reports every start that is not the plain committed offset.
 */
export class PartitionStarts {
  constructor(
    private readonly config: () => CompiledSubscription,
    private readonly deps: PartitionStartsDeps,
    /** Aborted when the consumer stops: asking gives up. */
    private readonly stop: AbortSignal,
  ) {}

  /**
   * Where each of `partitions` starts, asked of the broker until it answers; null when the
   * consumer stops or loses its client meanwhile (`live` false; then librdkafka's committed
   * offset applies, and nothing is consumed). `resume`: done offsets of a refused revoke commit.
   */
  async resolve(
    source: () => OffsetSource | null,
    live: () => boolean,
    partitions: number[],
    resume: Map<number, number> | null,
  ): Promise<AssignedStarts | null> {
    const { startFrom } = this.config().kafka;
    const ledger = this.ledger();
    const stopped = new Promise<null>((resolve) => {
      if (this.stop.aborted) resolve(null);
      else this.stop.addEventListener('abort', () => resolve(null), { once: true });
    });
    const since = Date.now();
    for (let wait = 500; ; wait = Math.min(wait * 2, 10_000)) {
      const offsets = live() ? source() : null;
      if (!offsets) return null;
      try {
        const resolved = await Promise.race([StartPositionResolver.resolve(offsets, ledger, partitions, startFrom, resume), stopped]);
        if (!resolved || !live()) return null;
        return { starts: new Map(resolved.starts.map((st) => [st.partition, st])), topicId: resolved.topicId };
      } catch (err) {
        this.deps.log('warn', 'cannot learn where the assigned partitions start; asking again', { partitions, err: (err as Error).message, retryInMs: wait });
        if (Date.now() - since >= COMMIT_STALL_REPORT_MS) {
          this.deps.reportProblem(`cannot learn where partitions ${partitions.join(',')} start: ${(err as Error).message}`);
        }
        try {
          await sleep(wait, undefined, { signal: this.stop });
        } catch {
          return null;
        }
      }
    }
  }

  /** Records starts decided while running (a recreated topic's partitions), replacing rows of another topic id. */
  record(topicId: string, starts: ReadonlyArray<{ partition: number; offset: number; reason: RecordedStart['reason'] }>): Promise<void> {
    const { id, kafka } = this.config();
    return this.deps.starts.record({ subscriptionId: id, groupId: kafka.groupId, topic: kafka.topic }, topicId, starts, true);
  }

  /** Counts and logs a start that is not the plain committed offset. */
  note(start: PartitionStart): void {
    const { partition, offset, skipped } = start;
    const { log, metrics } = this.deps;
    if (skipped > 0) {
      metrics.recordsSkipped(skipped);
      log('warn', 'the start position is below the log start: continuing at the log start; the records in between no longer exist on the broker', {
        partition,
        offset,
        skipped,
      });
    }
    if (start.reason === 'topic-recreated') {
      metrics.wentBack();
      log('warn', "the topic was deleted and recreated since this subscription took it up (another topic id): starting at the new topic's log start", {
        partition,
        offset,
      });
    }
    if (start.reason === 'commits-lost') {
      log(
        'warn',
        'the group has no committed offsets although this subscription consumed the topic before (offset retention or topic deletion): starting at its first start or the log start, whichever is later',
        {
          partition,
          offset,
        },
      );
      this.deps.reportProblem(
        "the consumer group's committed offsets were gone (offset retention or topic deletion): started again at the first start or the log start, repeating rather than skipping",
      );
    }
  }

  /** consumer_starts rows of this subscription, group and topic. */
  private ledger(): StartLedger {
    const { id, kafka } = this.config();
    const key = { subscriptionId: id, groupId: kafka.groupId, topic: kafka.topic };
    return {
      read: () => this.deps.starts.read(key, START_AGED_MS),
      record: (topicId, starts, replace) => this.deps.starts.record(key, topicId, starts, replace),
    };
  }
}
