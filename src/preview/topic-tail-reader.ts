import { KafkaConsumer, type LibrdKafkaError, type Message } from '@confluentinc/kafka-javascript';
import { randomUUID } from 'node:crypto';
import { DomainErrorCode } from '../common/errors/domain-error-code.enum';
import { DomainException } from '../common/errors/domain.exception';
import type { KafkaPropertyValue } from '../model/kafka-properties';
import type { RdKafkaConsumer } from '../runtime/consumers/rdkafka-consumer';

/** Where a tail read started and stopped on one partition. */
export interface TailPartition {
  readonly partition: number;
  /** Low and high watermark when the read began. */
  readonly low: number;
  readonly high: number;
  /** The first offset read: max(low, high − count). */
  readonly from: number;
}

export interface TopicTail {
  /** The newest `count` records over all partitions (by timestamp, then partition and offset), in partition then offset order. */
  readonly records: Message[];
  readonly partitions: TailPartition[];
  /** False when the time or byte bound stopped the read before every partition reached its high watermark. */
  readonly complete: boolean;
}

export interface TailLimits {
  /** The whole read (connect, metadata, watermarks, fetches), ms. */
  readonly timeoutMs: number;
  /** Key and value bytes held at most; the read stops at the record that would pass it (complete: false). */
  readonly maxBytes: number;
}

/** How long one poll waits for data, ms: short, so the deadline is kept and no pool thread is held long. */
const POLL_MS = 250;
/** Bytes one fetch asks for at most (librdkafka fetch.max.bytes), whatever the subscription's kafka.properties say. */
const FETCH_MAX_BYTES = 4 * 1_048_576;
/** Bytes one fetch asks for per partition at most (max.partition.fetch.bytes). */
const PARTITION_FETCH_MAX_BYTES = 1_048_576;
/** How long the read waits for the consumer to close, ms, so a caller's slot is not freed before its threads and sockets are. */
const CLOSE_WAIT_MS = 5_000;

/**
 * Reads the last records of a topic without joining any consumer group and without committing:
 * a short-lived consumer with a random `group.id` (kproxy-preview-<uuid>) that only assign()s
 * partitions (assign never joins the group, KIP-848 or classic; librdkafka
 * CONFIGURATION.md: `enable.auto.commit` false, `enable.auto.offset.store` false) from
 * max(low, high − count) up to the high watermark taken when it starts. The connection
 * properties are the subscription's own (kafkaClientProperties: brokers, SASL, TLS), so it
 * reaches the cluster as its consumer does.
 */
export class TopicTailReader {
  /**
   * @param client the librdkafka properties of the subscription's cluster (KafkaSettings.client)
   * @throws DomainException KAFKA_CONNECT_FAILED (cannot reach the cluster in time), TOPIC_NOT_FOUND
   */
  static async read(
    client: Readonly<Record<string, KafkaPropertyValue>>,
    brokers: string,
    topic: string,
    count: number,
    limits: TailLimits,
  ): Promise<TopicTail> {
    const deadline = Date.now() + limits.timeoutMs;
    const left = () => Math.max(1, deadline - Date.now());
    const consumer = new KafkaConsumer(
      {
        // As the subscription's consumer reads (kafka-session.ts): committed records only,
        // unless its own kafka.properties say otherwise.
        'isolation.level': 'read_committed',
        ...client,
        'group.id': `kproxy-preview-${randomUUID()}`,
        'client.id': 'kproxy-preview',
        'enable.auto.commit': false,
        'enable.auto.offset.store': false,
        'enable.partition.eof': true,
        // A preview reads at most MAX_PREVIEW_RECORDS records: prefetch little, and fetch little
        // at once, so the byte bound is not overshot by what one fetch brings. librdkafka needs
        // receive.message.max.bytes >= fetch.max.bytes + 512 (CONFIGURATION.md).
        'queued.max.messages.kbytes': 4096,
        'fetch.max.bytes': fetchMaxBytes(client),
        'max.partition.fetch.bytes': PARTITION_FETCH_MAX_BYTES,
        log_level: 0,
      },
      // An offset retention removed while reading: start at what is left.
      { 'auto.offset.reset': 'earliest' },
    ) as RdKafkaConsumer;
    try {
      await new Promise<void>((resolve, reject) =>
        consumer.connect({ timeout: left(), topic, allTopics: false }, (err) =>
          err ? reject(new DomainException(DomainErrorCode.KafkaConnectFailed, `cannot reach the Kafka cluster at ${brokers}: ${err.message}`)) : resolve(),
        ),
      );
      const ids = await partitionsOf(consumer, topic, brokers, left());
      if (ids.length === 0) throw new DomainException(DomainErrorCode.TopicNotFound, `topic "${topic}" does not exist on ${brokers}`);
      const partitions: TailPartition[] = [];
      for (const partition of ids) {
        const w = await new Promise<{ lowOffset: number; highOffset: number }>((resolve, reject) =>
          consumer.queryWatermarkOffsets(topic, partition, left(), (err, offsets) => (err ? reject(kafkaError(err, brokers)) : resolve(offsets))),
        );
        partitions.push({ partition, low: w.lowOffset, high: w.highOffset, from: Math.max(w.lowOffset, w.highOffset - count) });
      }
      const pending = new Set(partitions.filter((p) => p.high > p.from).map((p) => p.partition));
      const highOf = new Map(partitions.map((p) => [p.partition, p.high]));
      const read: Message[] = [];
      let bytes = 0;
      let cut = false;
      if (pending.size > 0) {
        consumer.on('partition.eof', (eof: { partition: number }) => pending.delete(eof.partition));
        consumer.assign(partitions.filter((p) => pending.has(p.partition)).map((p) => ({ topic, partition: p.partition, offset: p.from })));
        consumer.setDefaultConsumeTimeout(POLL_MS);
        consumer.setDefaultIsTimeoutOnlyForFirstMessage(true);
        while (pending.size > 0 && Date.now() < deadline && !cut) {
          const batch = await new Promise<Message[]>((resolve, reject) =>
            consumer.consume(count, (err, msgs) => (err ? reject(kafkaError(err, brokers)) : resolve(msgs ?? []))),
          );
          for (const msg of batch) {
            const high = highOf.get(msg.partition)!;
            // Records produced after the read began are not part of "the last N".
            if (msg.offset >= high) {
              pending.delete(msg.partition);
              continue;
            }
            bytes += (msg.value?.length ?? 0) + (msg.key?.length ?? 0);
            // Counted per record, so one consume() of many large records stops at the bound too.
            if (bytes > limits.maxBytes) {
              cut = true;
              break;
            }
            read.push(msg);
            if (msg.offset >= high - 1) pending.delete(msg.partition);
          }
        }
      }
      return { records: newest(read, count), partitions, complete: pending.size === 0 };
    } finally {
      // Awaited (up to CLOSE_WAIT_MS): the caller's concurrency slot must bound open consumers,
      // whose close holds a libuv pool thread the data path's Kafka calls and DNS look-ups share.
      await closeWithin(consumer, CLOSE_WAIT_MS);
    }
  }
}

/** Resolves when the consumer closed or after `ms`, whichever is first; never rejects. */
function closeWithin(consumer: RdKafkaConsumer, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    try {
      consumer.disconnect(() => {
        clearTimeout(timer);
        resolve();
      });
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}

/**
 * FETCH_MAX_BYTES within what librdkafka accepts with the client's own settings (CONFIGURATION.md):
 * at least message.max.bytes (default 1000000), at most receive.message.max.bytes − 512.
 */
function fetchMaxBytes(client: Readonly<Record<string, KafkaPropertyValue>>): number {
  const num = (name: string, fallback: number) => {
    const v = Number(client[name]);
    return Number.isFinite(v) && v > 0 ? v : fallback;
  };
  return Math.min(Math.max(FETCH_MAX_BYTES, num('message.max.bytes', 1_000_000)), num('receive.message.max.bytes', 100_000_000) - 512);
}

function partitionsOf(consumer: RdKafkaConsumer, topic: string, brokers: string, timeout: number): Promise<number[]> {
  return new Promise((resolve, reject) =>
    consumer.getMetadata({ topic, timeout }, (err, md) => {
      if (err) return reject(kafkaError(err, brokers));
      const found = md.topics.find((t) => t.name === topic);
      resolve((found?.partitions ?? []).map((p) => p.id).sort((a, b) => a - b));
    }),
  );
}

function kafkaError(err: LibrdKafkaError, brokers: string): DomainException {
  return new DomainException(DomainErrorCode.KafkaConnectFailed, `reading the topic from ${brokers} failed: ${err.message}`);
}

/** The `count` newest records (timestamp, then partition and offset), shown in partition and offset order. */
function newest(records: Message[], count: number): Message[] {
  const byAge = [...records].sort((a, b) => (b.timestamp ?? 0) - (a.timestamp ?? 0) || b.partition - a.partition || b.offset - a.offset);
  return byAge.slice(0, count).sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}
