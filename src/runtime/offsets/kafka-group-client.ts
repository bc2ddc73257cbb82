import { KafkaConsumer, type LibrdKafkaError } from '@confluentinc/kafka-javascript';
import type { KafkaSettings } from '../consumers/compiled-subscription';
import type { RdKafkaConsumer } from '../consumers/rdkafka-consumer';

export interface Watermarks {
  low: number;
  high: number;
}

const TIMEOUT_MS = 10_000;

/**
 * A client that speaks for a consumer group without joining it: reads partitions, watermarks,
 * offsets for a time and the group's committed offsets, and commits offsets for an empty group.
 * Uses only the consumer calls the mock broker supports (no admin ListOffsets).
 */
export class KafkaGroupClient {
  private constructor(
    private readonly consumer: RdKafkaConsumer,
    private readonly topic: string,
  ) {}

  static async connect(kafka: KafkaSettings, clientId: string): Promise<KafkaGroupClient> {
    const consumer = new KafkaConsumer(
      {
        'metadata.broker.list': kafka.brokers,
        'group.id': kafka.groupId,
        'client.id': clientId,
        'enable.auto.commit': false,
        'log_level': 0,
      },
      {},
    ) as RdKafkaConsumer;
    await new Promise<void>((resolve, reject) =>
      consumer.connect({ timeout: TIMEOUT_MS, topic: kafka.topic, allTopics: false }, (err) => (err ? reject(describe(err, kafka.brokers)) : resolve())),
    );
    return new KafkaGroupClient(consumer, kafka.topic);
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
          err
            ? reject(err)
            : resolve(new Map(result.map((r) => [r.partition, typeof r.offset === 'number' && r.offset >= 0 ? r.offset : undefined]))),
      ),
    );
  }

  /** Kafka accepts this only while the group has no active members. */
  commit(offsets: Map<number, number>): Promise<void> {
    const list = [...offsets].map(([partition, offset]) => ({ topic: this.topic, partition, offset }));
    return new Promise((resolve, reject) => {
      try {
        this.consumer.commitCb(list, (err) => (err ? reject(err) : resolve()));
      } catch (err) {
        reject(err as Error);
      }
    });
  }

  /** Closing takes librdkafka a few seconds; callers need not wait for it. */
  close(): Promise<void> {
    return new Promise((resolve) => this.consumer.disconnect(() => resolve()));
  }
}

function describe(err: LibrdKafkaError | Error, brokers: string): Error {
  return new Error(`cannot reach the Kafka cluster at ${brokers}: ${err.message}`);
}
