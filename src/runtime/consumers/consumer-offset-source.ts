import type { TopicPartitionOffset } from '@confluentinc/kafka-javascript';
import type { RdKafkaConsumer } from './rdkafka-consumer';
import type { OffsetSource } from './start-position-resolver';

/** librdkafka's RD_KAFKA_OFFSET_INVALID: no committed offset. */
const NO_OFFSET = -1001;

/**
 * The broker's answers a start-position decision needs, asked through the subscription's own
 * consumer (OffsetFetch for the group, Metadata, ListOffsets), so no extra client is made.
 * Every call fails (rejects) after `timeoutMs` without an answer.
 */
export class ConsumerOffsetSource implements OffsetSource {
  constructor(
    private readonly consumer: RdKafkaConsumer,
    private readonly topic: string,
    private readonly timeoutMs: number,
  ) {}

  committed(partitions: readonly number[]): Promise<Map<number, number>> {
    const asked = partitions.map((partition) => ({ topic: this.topic, partition }));
    return new Promise((resolve, reject) => {
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

  partitions(): Promise<number[]> {
    return new Promise((resolve, reject) => {
      this.consumer.getMetadata({ topic: this.topic, timeout: this.timeoutMs }, (err, metadata) => {
        if (err) return reject(new Error(`metadata: ${err.message}`));
        const topic = metadata?.topics.find((t) => t.name === this.topic);
        if (!topic) return reject(new Error(`metadata: topic ${this.topic} is unknown`));
        resolve(topic.partitions.map((p) => p.id));
      });
    });
  }

  watermarks(partition: number): Promise<{ low: number; high: number }> {
    return new Promise((resolve, reject) => {
      this.consumer.queryWatermarkOffsets(this.topic, partition, this.timeoutMs, (err, offsets) => {
        if (err) return reject(new Error(`watermarks of partition ${partition}: ${err.message}`));
        resolve({ low: offsets.lowOffset, high: offsets.highOffset });
      });
    });
  }
}
