import type { RecordHeader } from '../delivery/kafka-headers';
import type { SampleRecord } from './dto/preview-request.schema';

/**
 * A record as the preview shapes it: the fields RecordShaper reads from a Kafka message, whether
 * it was pasted (fromSample) or read from the topic (a librdkafka Message has this shape).
 */
export interface PreviewRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp?: number | null;
  readonly key?: Buffer | string | null;
  readonly value: Buffer | null;
  /** One name → value object per header, in record order (the client's MessageHeader list). */
  readonly headers?: RecordHeader[];
}

/** Pasted records, turned into the bytes a Kafka consumer would hand over. */
export class PreviewRecords {
  /** Text fields become their UTF-8 bytes, base64 fields their decoded bytes; no value is a tombstone. */
  static fromSample(sample: SampleRecord, topic: string): PreviewRecord {
    const bytes = (text: string | null | undefined, b64: string | null | undefined): Buffer | null =>
      text != null ? Buffer.from(text, 'utf8') : b64 != null ? Buffer.from(b64, 'base64') : null;
    return {
      topic,
      partition: sample.partition,
      offset: sample.offset,
      timestamp: sample.timestamp ?? null,
      key: bytes(sample.key, sample.keyBase64),
      value: bytes(sample.value, sample.valueBase64),
      headers: sample.headers.map((h) => ({ [h.name]: h.value !== undefined ? Buffer.from(h.value, 'utf8') : Buffer.from(h.valueBase64!, 'base64') })),
    };
  }
}
