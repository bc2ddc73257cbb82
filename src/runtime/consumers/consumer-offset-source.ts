import { AdminClient, type TopicPartitionOffset } from '@confluentinc/kafka-javascript';
import type { BoundedConcurrency } from '../../common/concurrency/bounded-concurrency';
import type { RdKafkaConsumer } from './rdkafka-consumer';
import type { OffsetSource } from './start-position-resolver';

/** librdkafka's RD_KAFKA_OFFSET_INVALID: no committed offset. */
const NO_OFFSET = -1001;
/** Beyond the request's own timeout: a callback that never comes must not hold an assignment. */
const CALLBACK_GRACE_MS = 2_000;

/**
 * The broker's answers a start-position decision needs, asked through the subscription's own
 * consumer (OffsetFetch for the group, Metadata, ListOffsets), so no extra client is made.
 * Every call fails (rejects) after `timeoutMs` without an answer, counted from when it is sent.
 * With a `gate`, calls wait for one of its slots first: each holds a libuv pool thread until the
 * broker answers, and the fetches and commits of every consumer in the process share that pool.
 */
export class ConsumerOffsetSource implements OffsetSource {
  constructor(
    private readonly consumer: RdKafkaConsumer,
    private readonly topic: string,
    private readonly timeoutMs: number,
    private readonly gate: BoundedConcurrency | null = null,
    /** Aborted when the consumer stops: a call still waiting for a slot is not sent. */
    private readonly signal: AbortSignal | null = null,
  ) {}

  committed(partitions: readonly number[]): Promise<Map<number, number>> {
    const asked = partitions.map((partition) => ({ topic: this.topic, partition }));
    return this.answer('committed offsets', (resolve, reject) => {
      this.consumer.committed(asked, this.timeoutMs, (err, answer) => {
        if (err) return reject(new Error(`committed offsets: ${err.message}`));
        const out = new Map<number, number>();
        for (const tp of (answer ?? []) as Array<TopicPartitionOffset & { error?: { message: string } }>) {
          if (tp.error) return reject(new Error(`committed offset of partition ${tp.partition}: ${tp.error.message}`));
          if (typeof tp.offset === 'number' && tp.offset !== NO_OFFSET && tp.offset >= 0) out.set(tp.partition, tp.offset);
        }
        resolve(out);
      });
    });
  }

  /**
   * The topic's id (KIP-516, base64): a topic deleted and recreated under the same name gets a
   * new one. Asked with DescribeTopics through an admin handle derived from the consumer.
   */
  topicId(): Promise<string> {
    const admin = AdminClient.createFrom(this.consumer);
    return this.answer<string>('describe topic', (resolve, reject) => {
      admin.describeTopics([this.topic], { timeout: this.timeoutMs }, (err, topics) => {
        if (err) return reject(new Error(`describe topic: ${err.message}`));
        const described = (topics as Array<{ name: string; topicId?: { base64?: string }; error?: { message: string } }>).find((t) => t.name === this.topic);
        if (!described) return reject(new Error(`describe topic: ${this.topic} not described`));
        if (described.error) return reject(new Error(`describe topic: ${described.error.message}`));
        const id = described.topicId?.base64;
        if (!id) return reject(new Error(`describe topic: ${this.topic} has no topic id`));
        resolve(id);
      });
    });
  }

  partitions(): Promise<number[]> {
    return this.answer<number[]>('metadata', (resolve, reject) => {
      this.consumer.getMetadata({ topic: this.topic, timeout: this.timeoutMs }, (err, metadata) => {
        if (err) return reject(new Error(`metadata: ${err.message}`));
        const topic = metadata?.topics.find((t) => t.name === this.topic);
        if (!topic) return reject(new Error(`metadata: topic ${this.topic} is unknown`));
        resolve(topic.partitions.map((p) => p.id));
      });
    });
  }

  /**
   * The log start (`earliest`) or the end (`latest`: the last stable offset under
   * read_committed) of each partition, in one ListOffsets round per leader (timestamps -2 and
   * -1 of the ListOffsets protocol, which rd_kafka_offsets_for_times passes through).
   */
  offsets(partitions: readonly number[], which: 'earliest' | 'latest'): Promise<Map<number, number>> {
    const timestamp = which === 'earliest' ? -2 : -1;
    const asked = partitions.map((partition) => ({ topic: this.topic, partition, offset: timestamp }));
    return this.answer<Map<number, number>>(`${which} offsets`, (resolve, reject) => {
      this.consumer.offsetsForTimes(asked, this.timeoutMs, (err, answer) => {
        if (err) return reject(new Error(`${which} offsets: ${err.message}`));
        const out = new Map<number, number>();
        for (const tp of (answer ?? []) as Array<TopicPartitionOffset & { error?: { message: string } }>) {
          if (tp.error) return reject(new Error(`${which} offset of partition ${tp.partition}: ${tp.error.message}`));
          if (typeof tp.offset !== 'number' || tp.offset < 0) return reject(new Error(`${which} offset of partition ${tp.partition}: none given`));
          out.set(tp.partition, tp.offset);
        }
        for (const p of partitions) if (!out.has(p)) return reject(new Error(`${which} offset of partition ${p}: not answered`));
        resolve(out);
      });
    });
  }

  /** A callback-style request as a promise that rejects if no answer comes within the timeout (plus grace). */
  private answer<T>(what: string, ask: (resolve: (v: T) => void, reject: (e: Error) => void) => void): Promise<T> {
    if (!this.gate) return this.send(what, ask);
    return this.gate.run(() => (this.signal?.aborted ? Promise.reject(new Error(`${what}: the consumer is stopping`)) : this.send(what, ask)));
  }

  private send<T>(what: string, ask: (resolve: (v: T) => void, reject: (e: Error) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${what}: no answer within ${this.timeoutMs + CALLBACK_GRACE_MS} ms`)),
        this.timeoutMs + CALLBACK_GRACE_MS,
      );
      const done =
        <A extends unknown[]>(fn: (...a: A) => void) =>
        (...a: A) => {
          clearTimeout(timer);
          fn(...a);
        };
      try {
        ask(done(resolve), done(reject));
      } catch (err) {
        clearTimeout(timer);
        reject(err as Error);
      }
    });
  }
}
