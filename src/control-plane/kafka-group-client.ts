import { CODES, KafkaConsumer, type LibrdKafkaError, type TopicPartitionOffset } from '@confluentinc/kafka-javascript';
import type { KafkaSettings } from '../runtime/consumers/compiled-subscription';
import type { RdKafkaConsumer } from '../runtime/consumers/rdkafka-consumer';
import type { GroupMember } from '../model/group-member';

export interface Watermarks {
  low: number;
  high: number;
}

const TIMEOUT_MS = 10_000;
/** How long a record read waits for data (recordAt). */
const READ_TIMEOUT_MS = 2000;

/** How a reset's offsets reached the group: see {@link KafkaGroupClient.commitOffsets}. */
export type CommitMethod = 'offset-commit' | 'group-join';

type CommitAnswer = (err: LibrdKafkaError | null, offsets: Array<TopicPartitionOffset & { error?: LibrdKafkaError }>) => void;

/**
 * A client that speaks for a consumer group: reads partitions, watermarks, record timestamps and
 * the group's committed offsets without joining, and commits new offsets to the empty group
 * (see {@link commitOffsets}). Reads use consumer calls that every broker answers, the mock
 * included (it has no admin ListOffsets).
 */
export class KafkaGroupClient {
  private constructor(
    private readonly consumer: RdKafkaConsumer,
    private readonly topic: string,
    private readonly kafka: KafkaSettings,
    private readonly clientId: string,
    /** Where the broker's answer to this client's next commit goes (librdkafka offset_commit_cb). */
    private readonly commitAnswers: { next: CommitAnswer | null },
  ) {}

  static async connect(kafka: KafkaSettings, clientId: string): Promise<KafkaGroupClient> {
    const commitAnswers: { next: CommitAnswer | null } = { next: null };
    const consumer = new KafkaConsumer(
      {
        ...kafka.client,
        'group.id': kafka.groupId,
        'client.id': clientId,
        'enable.auto.commit': false,
        log_level: 0,
        // A commit librdkafka defers (no coordinator yet) expires after this, so it is answered
        // within TIMEOUT_MS instead of landing after the caller has reported a failure.
        'session.timeout.ms': 6000,
        offset_commit_cb: ((err: LibrdKafkaError | null, offsets: Parameters<CommitAnswer>[1]) => {
          const answer = commitAnswers.next;
          commitAnswers.next = null;
          answer?.(err, offsets);
        }) as never,
      },
      // Record reads below an expired low watermark start at the earliest retained record.
      { 'auto.offset.reset': 'earliest' },
    ) as RdKafkaConsumer;
    await new Promise<void>((resolve, reject) =>
      consumer.connect({ timeout: TIMEOUT_MS, topic: kafka.topic, allTopics: false }, (err) => (err ? reject(describe(err, kafka.brokers)) : resolve())),
    );
    consumer.setDefaultConsumeTimeout(READ_TIMEOUT_MS);
    return new KafkaGroupClient(consumer, kafka.topic, kafka, clientId, commitAnswers);
  }

  /**
   * Commits reset offsets to the group the way Kafka's own tools do: `kafka-consumer-groups
   * --reset-offsets` and the admin AlterConsumerGroupOffsets send an OffsetCommit without a
   * member id or generation, which the coordinator takes only while the group has no active
   * members (classic and KIP-848 groups alike). Waits up to `timeoutMs` for members to leave (a
   * killed kproxy stays a member until its session times out) and names those that stay; each
   * try may add up to ~30 s of request timeouts past that. Brokers that cannot list groups
   * (librdkafka's mock) get {@link commitAsMember} instead. Verifies the stored offsets afterwards.
   *
   * @param groupMembers the group's members now (GroupDescriber.members): null when the broker
   *   cannot list groups, a rejection when it cannot say now (tried again until `timeoutMs`)
   * @returns how the offsets were committed
   * @throws Error naming the members still in the group, the broker's refusal, or offsets that were not stored
   */
  async commitOffsets(
    offsets: Map<number, number>,
    allPartitions: number[],
    timeoutMs: number,
    groupMembers: () => Promise<GroupMember[] | null>,
  ): Promise<CommitMethod> {
    const deadline = Date.now() + timeoutMs;
    let members: GroupMember[] | null | Error = await groupMembers().catch((err: Error) => err);
    if (members === null) {
      await this.commitAsMember(offsets, allPartitions, timeoutMs);
      return 'group-join';
    }
    let problem = '';
    for (let wait = 200; ; wait = Math.min(wait * 2, 2000)) {
      const active = members;
      if (active instanceof Error || active === null) {
        problem = `could not describe group "${this.kafka.groupId}": ${active?.message ?? 'no answer'}`;
      } else if (active.length) {
        problem =
          `group "${this.kafka.groupId}" has active members (${active.map((m) => `${m.clientId} at ${m.clientHost}`).join(', ')}); ` +
          'stop every consumer of this group outside kproxy and try again';
      } else {
        try {
          await this.commitWithoutMember(offsets);
          const stored = await this.committed([...offsets.keys()]);
          const wrong = [...offsets].filter(([p, o]) => stored.get(p) !== o);
          if (wrong.length === 0) return 'offset-commit';
          problem = `the broker did not store the new offsets for partitions ${wrong.map(([p]) => p).join(', ')}`;
        } catch (err) {
          problem = `the broker refused the commit: ${(err as Error).message}`;
        }
      }
      if (Date.now() + wait > deadline) throw new Error(`${problem} (gave up after ${timeoutMs} ms)`);
      await new Promise((r) => setTimeout(r, wait));
      members = await groupMembers().catch((err: Error) => err);
    }
  }

  /**
   * One OffsetCommit without member id or generation; resolves on the broker's answer. The answer
   * comes through offset_commit_cb, which librdkafka serves only inside a consumer poll, so this
   * polls (with short timeouts, to hold no pool thread for long) until it arrives.
   */
  private async commitWithoutMember(offsets: Map<number, number>): Promise<void> {
    const list = [...offsets].map(([partition, offset]) => ({ topic: this.topic, partition, offset }));
    let outcome: { err: Error | null } | null = null;
    this.commitAnswers.next = (err, answered) => {
      const refused = err ?? answered.find((tp) => tp.error)?.error;
      outcome = { err: refused ? new Error(refused.message) : null };
    };
    this.consumer.commitCb(list, (err) => {
      if (err && !outcome) outcome = { err: new Error(err.message) };
    });
    const deadline = Date.now() + TIMEOUT_MS;
    this.consumer.setDefaultConsumeTimeout(100);
    try {
      while (!outcome && Date.now() < deadline) await new Promise<void>((resolve) => this.consumer.consume(1, () => resolve()));
    } finally {
      this.consumer.setDefaultConsumeTimeout(READ_TIMEOUT_MS);
      this.commitAnswers.next = null;
    }
    const result = outcome as { err: Error | null } | null;
    if (!result) throw new Error(`no answer within ${TIMEOUT_MS} ms`);
    if (result.err) throw result.err;
  }

  /** Partition ids of the topic, ascending; empty when the topic does not exist. */
  partitions(): Promise<number[]> {
    return new Promise((resolve, reject) =>
      this.consumer.getMetadata({ topic: this.topic, timeout: TIMEOUT_MS }, (err, md) => {
        if (err) return reject(err);
        const topic = md.topics.find((t) => t.name === this.topic);
        resolve((topic?.partitions ?? []).map((p) => p.id).sort((a, b) => a - b));
      }),
    );
  }

  watermarks(partition: number): Promise<Watermarks> {
    return new Promise((resolve, reject) =>
      this.consumer.queryWatermarkOffsets(this.topic, partition, TIMEOUT_MS, (err, w) =>
        err ? reject(err) : resolve({ low: w.lowOffset, high: w.highOffset }),
      ),
    );
  }

  /** The first offset at or after the timestamp per partition; -1 where there is none. */
  offsetsForTime(partitions: number[], timestamp: number): Promise<Map<number, number>> {
    return new Promise((resolve, reject) =>
      this.consumer.offsetsForTimes(
        partitions.map((partition) => ({ topic: this.topic, partition, offset: timestamp })),
        TIMEOUT_MS,
        (err, result) => (err ? reject(err) : resolve(new Map(result.map((r) => [r.partition, r.offset])))),
      ),
    );
  }

  /** The group's committed offset per partition; undefined where it has none. */
  committed(partitions: number[]): Promise<Map<number, number | undefined>> {
    return new Promise((resolve, reject) =>
      this.consumer.committed(
        partitions.map((partition) => ({ topic: this.topic, partition })),
        TIMEOUT_MS,
        (err, result) =>
          err ? reject(err) : resolve(new Map(result.map((r) => [r.partition, typeof r.offset === 'number' && r.offset >= 0 ? r.offset : undefined]))),
      ),
    );
  }

  /**
   * Commits as the group's only member: joins, checks that it was given every partition (so no
   * one else consumes), commits, verifies, and leaves. For brokers that refuse member-less
   * commits and cannot describe groups (librdkafka's mock); see {@link commitOffsets}.
   */
  private async commitAsMember(offsets: Map<number, number>, allPartitions: number[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const group: { assigned: number[] | null } = { assigned: null };
    const member = new KafkaConsumer(
      {
        ...this.kafka.client,
        'group.id': this.kafka.groupId,
        'client.id': `${this.clientId}-committer`,
        'enable.auto.commit': false,
        'session.timeout.ms': 6000,
        log_level: 0,
        rebalance_cb: (err: LibrdKafkaError, assignment: Array<{ topic: string; partition: number }>) => {
          if (err.code === CODES.ERRORS.ERR__ASSIGN_PARTITIONS) {
            member.assign(assignment);
            group.assigned = assignment.map((a) => a.partition);
          } else {
            member.unassign();
            group.assigned = null;
          }
        },
      },
      { 'auto.offset.reset': 'earliest' },
    ) as RdKafkaConsumer;
    await new Promise<void>((resolve, reject) => member.connect({ timeout: TIMEOUT_MS }, (err) => (err ? reject(err) : resolve())));
    try {
      member.setDefaultConsumeTimeout(100);
      member.subscribe([this.topic]);
      const list = [...offsets].map(([partition, offset]) => ({ topic: this.topic, partition, offset }));
      let problem = `could not join group "${this.kafka.groupId}"`;
      // A rebalance can still be settling (a member that just left); commit until it sticks.
      while (Date.now() < deadline) {
        // The rebalance callback runs inside consume().
        await new Promise<void>((resolve) => member.consume(1, () => resolve()));
        const got = group.assigned;
        if (got === null) continue;
        const missing = allPartitions.filter((p) => !got.includes(p));
        if (missing.length) {
          problem =
            `group "${this.kafka.groupId}" has other active members (they hold partitions ${missing.join(', ')}); ` +
            'stop every consumer of this group outside kproxy and try again';
          continue;
        }
        try {
          await new Promise<void>((resolve, reject) => member.commitCb(list, (err) => (err ? reject(err) : resolve())));
        } catch (err) {
          problem = `the broker refused the commit: ${(err as Error).message}`;
          continue;
        }
        const stored = await this.committed([...offsets.keys()]);
        const wrong = [...offsets].filter(([p, o]) => stored.get(p) !== o);
        if (wrong.length === 0) return;
        problem = `the broker did not store the new offsets for partitions ${wrong.map(([p]) => p).join(', ')}`;
      }
      throw new Error(`${problem} (gave up after ${timeoutMs} ms)`);
    } finally {
      await new Promise<void>((resolve) => member.disconnect(() => resolve()));
    }
  }

  /**
   * The first offset whose record timestamp is at or after `timestamp`, by binary search over
   * the records (for brokers whose offsets-for-times lookup answers nothing, like the mock).
   * Assumes timestamps grow with offsets, as Kafka's own time index does.
   */
  async offsetAtTime(partition: number, timestamp: number): Promise<number> {
    const { low, high } = await this.watermarks(partition);
    if (high <= low) return high;
    const last = await this.recordAt(partition, high - 1);
    if (!last || last.timestamp < timestamp) return high;
    // Smallest x whose first record at/after x is recent enough; gaps (compaction) are fine.
    let lo = low;
    let hi = last.offset;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const rec = await this.recordAt(partition, mid);
      if (rec && rec.timestamp >= timestamp) hi = mid;
      else lo = mid + 1;
    }
    return (await this.recordAt(partition, lo))?.offset ?? high;
  }

  /**
   * The first record at or after `offset` (its real offset and timestamp). An empty answer is
   * retried: the first fetch after an assign can come back before the data does.
   */
  private async recordAt(partition: number, offset: number): Promise<{ offset: number; timestamp: number } | null> {
    const { high } = await this.watermarks(partition);
    if (offset >= high) return null;
    this.consumer.assign([{ topic: this.topic, partition, offset }]);
    try {
      for (let attempt = 0; attempt < 5; attempt++) {
        const [msg] = await new Promise<Array<{ offset: number; timestamp?: number }>>((resolve, reject) =>
          this.consumer.consume(1, (err, msgs) => (err ? reject(err) : resolve(msgs ?? []))),
        );
        if (msg) return { offset: msg.offset, timestamp: msg.timestamp ?? 0 };
      }
      throw new Error(`could not read partition ${partition} at offset ${offset} (below the high watermark ${high})`);
    } finally {
      this.consumer.unassign();
    }
  }

  /** Closing takes librdkafka a few seconds; callers need not wait for it. */
  close(): Promise<void> {
    return new Promise((resolve) => this.consumer.disconnect(() => resolve()));
  }
}

function describe(err: LibrdKafkaError | Error, brokers: string): Error {
  return new Error(`cannot reach the Kafka cluster at ${brokers}: ${err.message}`);
}
