import { BatchSplitter } from '../delivery/batch-splitter';
import type { DeliveryTarget } from '../delivery/delivery-target';
import type { HeaderList, RecordCoordinates } from '../delivery/kafka-headers';
import type { EtlPipeline } from '../etl/etl-pipeline';
import type { DeadLetterReason } from '../model/dead-letter-reason.enum';
import { RecordShaper } from '../shaping/record-shaper';
import { isSecretHeader } from '../subscriptions/subscription-secrets';
import { MASK, SubscriptionMapper } from '../subscriptions/subscription.mapper';
import type { PreviewRecord } from './preview-record';

/** What the preview needs of a subscription's config, compiled by the same classes the data path uses. */
export interface PreviewConfig {
  readonly topic: string;
  readonly etl: EtlPipeline;
  readonly target: DeliveryTarget;
  /** The endpoint URL as configured (shown masked). */
  readonly url: string;
  readonly batchSize: number;
  readonly maxBatchBytes: number;
  /** delivery.ordering: with `partition` a batch holds one partition's records only. */
  readonly ordering: 'partition' | 'key' | 'unordered';
  /** MAX_MESSAGE_BYTES. */
  readonly maxMessageBytes: number;
}

/** Headers as sent, in order, as [name, value] pairs; secret configured headers masked. */
export type HeaderPairs = Array<[string, string]>;

export interface PreviewedRecord {
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number | null;
  readonly keyBytes: number | null;
  readonly valueBytes: number | null;
  /** True when it would be sent; false when the filter drops it or it would be dead-lettered. */
  readonly kept: boolean;
  readonly outcome: 'deliver' | 'filtered' | 'dead_letter';
  /** The dead-letter reason (outcome dead_letter), else null. */
  readonly reason: DeadLetterReason | null;
  /** Why it would be dead-lettered, else null. */
  readonly problem: string | null;
  /** The request body as sent (batchSize 1), or this record's element of the batch array; null unless kept. */
  readonly body: string | null;
  /** The request headers of this record (batchSize 1); null when batching (see batches) or not kept. */
  readonly headers: HeaderPairs | null;
}

export interface PreviewedBatch {
  /** The records in the array, in order. */
  readonly records: Array<{ partition: number; offset: number }>;
  readonly body: string;
  readonly headers: HeaderPairs;
}

export interface PreviewResult {
  readonly endpoint: { readonly method: string; readonly url: string };
  readonly batchSize: number;
  readonly records: PreviewedRecord[];
  /** batchSize > 1: the requests the kept records make, grouped as the data path groups records that arrive together. */
  readonly batches: PreviewedBatch[];
}

/**
 * The ETL preview: for each record, whether it is sent and the exact body and headers, computed
 * by RecordShaper, the code the data path runs. Pure and synchronous; the W3C trace continuation
 * draws a new span id per call, so a forwarded `traceparent` differs from the one delivered in
 * its span id only. Secret endpoint headers (isSecretHeader) are shown as "****", as the
 * subscription answers show them.
 */
export class EtlPreview {
  static run(config: PreviewConfig, records: readonly PreviewRecord[]): PreviewResult {
    const batching = config.batchSize > 1;
    const configured = config.target.headers.length;
    const previewed: PreviewedRecord[] = [];
    const bodies: Array<Buffer | string | null> = [];
    for (const record of records) {
      const outcome = RecordShaper.prepare(record.value, config.etl, config.maxMessageBytes);
      const base = {
        partition: record.partition,
        offset: record.offset,
        timestamp: record.timestamp ?? null,
        keyBytes: record.key === null || record.key === undefined ? null : Buffer.byteLength(record.key),
        valueBytes: record.value?.length ?? null,
      };
      if (outcome.kind === 'deliver') {
        bodies.push(outcome.body);
        const headers = batching ? null : EtlPreview.masked(RecordShaper.headers(config.target, record as RecordCoordinates), configured);
        previewed.push({ ...base, kept: true, outcome: 'deliver', reason: null, problem: null, body: text(outcome.body), headers });
      } else {
        bodies.push(null);
        const dead = outcome.kind === 'reject';
        previewed.push({
          ...base,
          kept: false,
          outcome: dead ? 'dead_letter' : 'filtered',
          reason: dead ? outcome.reason : null,
          problem: dead ? outcome.error : null,
          body: null,
          headers: null,
        });
      }
    }
    const batches = batching ? EtlPreview.batches(config, records, bodies) : [];
    return {
      endpoint: { method: config.target.method, url: SubscriptionMapper.maskEndpointUrl(config.url) },
      batchSize: config.batchSize,
      records: previewed,
      batches,
    };
  }

  /**
   * The data path hands a lane's records to processBatch up to batchSize at a time (filtered and
   * dead-lettered ones included), and sends the kept ones as arrays within maxBatchBytes
   * (BatchSplitter.parts). Here consecutive records form such a group: of one partition under
   * `partition` ordering (RecordDispatcher fills a batch from its lane only), of any partition
   * under `key` and `unordered` (it fills from other lanes too). Live batches hold whatever was
   * ready together, so their members may differ: the preview shows the shape, not the grouping.
   */
  private static batches(config: PreviewConfig, records: readonly PreviewRecord[], bodies: ReadonlyArray<Buffer | string | null>): PreviewedBatch[] {
    const out: PreviewedBatch[] = [];
    const splitter = new BatchSplitter(config.maxBatchBytes);
    let i = 0;
    while (i < records.length) {
      const members: PreviewRecord[] = [];
      const kept: Array<Buffer | string> = [];
      const start = i;
      const onePartition = config.ordering === 'partition';
      while (i < records.length && i - start < config.batchSize && (!onePartition || records[i].partition === records[start].partition)) {
        const body = bodies[i];
        if (body !== null) {
          members.push(records[i]);
          kept.push(body);
        }
        i++;
      }
      const sizes = kept.map((b) => Buffer.byteLength(b));
      for (const [from, to] of kept.length ? splitter.parts(sizes) : []) {
        const part = members.slice(from, to);
        out.push({
          records: part.map((r) => ({ partition: r.partition, offset: r.offset })),
          body: RecordShaper.batchBody(kept.slice(from, to)).toString('utf8'),
          headers: EtlPreview.masked(RecordShaper.batchHeaders(config.target, config.topic, part as RecordCoordinates[]), config.target.headers.length),
        });
      }
    }
    return out;
  }

  /** The flat header list as pairs; the first `configured` entries are the endpoint's own headers, whose secret values are masked. */
  static masked(list: HeaderList, configured: number): HeaderPairs {
    const pairs: HeaderPairs = [];
    for (let i = 0; i < list.length; i += 2) pairs.push([list[i], i < configured && isSecretHeader(list[i]) ? MASK : list[i + 1]]);
    return pairs;
  }
}

function text(body: Buffer | string): string {
  return typeof body === 'string' ? body : body.toString('utf8');
}
