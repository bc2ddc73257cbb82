import { KafkaConsumer, KafkaJS } from '@confluentinc/kafka-javascript';

export interface TestRecord {
  key?: string | Buffer | null;
  value: string | Buffer | null;
  headers?: Record<string, string | Buffer | Array<string | Buffer>>;
  partition?: number;
  /** Record timestamp in ms; default: now. */
  timestamp?: number;
}

/** Producer and offset inspection for tests, over the real Kafka protocol. */
export class KafkaTestClient {
  private producer: KafkaJS.Producer | null = null;
  // One idle connection per group: connecting and closing a client costs seconds in librdkafka.
  private readonly inspectors = new Map<string, Promise<KafkaConsumer>>();

  constructor(private readonly brokers: string) {}

  async produce(topic: string, records: TestRecord[]): Promise<void> {
    if (!this.producer) {
      const kafka = new KafkaJS.Kafka({ kafkaJS: { brokers: this.brokers.split(','), logLevel: KafkaJS.logLevel.NOTHING } });
      this.producer = kafka.producer({ 'linger.ms': 5 } as never);
      await this.producer.connect();
    }
    await this.producer.send({
      topic,
      messages: records.map((r) => ({
        key: r.key ?? null,
        value: r.value,
        headers: r.headers,
        partition: r.partition,
        timestamp: r.timestamp === undefined ? undefined : String(r.timestamp),
      })),
    });
  }

  produceJson(topic: string, values: unknown[], partition?: number): Promise<void> {
    return this.produce(
      topic,
      values.map((v) => ({ value: JSON.stringify(v), partition })),
    );
  }

  /** The group's committed offsets (-1001 = none) for partitions 0..n-1. */
  async committed(groupId: string, topic: string, partitions: number): Promise<number[]> {
    const consumer = await this.inspector(groupId);
    const toppars = Array.from({ length: partitions }, (_, partition) => ({ topic, partition }));
    const result = await new Promise<Array<{ partition: number; offset: number }>>((resolve, reject) =>
      consumer.committed(toppars, 10_000, (err, tps) => (err ? reject(err) : resolve(tps as never))),
    );
    return result.sort((a, b) => a.partition - b.partition).map((tp) => (typeof tp.offset === 'number' && tp.offset >= 0 ? tp.offset : -1001));
  }

  private inspector(groupId: string): Promise<KafkaConsumer> {
    let consumer = this.inspectors.get(groupId);
    if (!consumer) {
      const c = new KafkaConsumer({ 'metadata.broker.list': this.brokers, 'group.id': groupId, log_level: 0 }, {});
      consumer = new Promise<KafkaConsumer>((resolve, reject) => c.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve(c))));
      this.inspectors.set(groupId, consumer);
    }
    return consumer;
  }

  async close(): Promise<void> {
    await this.producer?.disconnect();
    this.producer = null;
    const consumers = await Promise.allSettled([...this.inspectors.values()]);
    this.inspectors.clear();
    await Promise.all(consumers.map((r) => (r.status === 'fulfilled' ? new Promise<void>((resolve) => r.value.disconnect(() => resolve())) : undefined)));
  }
}
