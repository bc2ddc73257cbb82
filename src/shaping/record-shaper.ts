import { batchBody, batchRequestHeaders } from '../delivery/batch-headers';
import type { DeliveryTarget } from '../delivery/delivery-target';
import { kafkaRequestHeaders, type HeaderList, type RecordCoordinates } from '../delivery/kafka-headers';
import type { EtlOutcome, EtlPipeline } from '../etl/etl-pipeline';
import { DeadLetterReason } from '../model/dead-letter-reason.enum';

/**
 * What one record becomes under a subscription's config: whether it is sent, and the exact body
 * and headers. The one implementation the data path (RecordProcessor), dead-letter re-delivery and
 * the ETL preview all call, so neither a preview nor a re-delivery can drift from live delivery. Pure: no I/O, no metrics, no clock
 * (except the new span id of a continued W3C trace, see kafkaRequestHeaders).
 */
export class RecordShaper {
  /**
   * The checks before the ETL, then the ETL: a record without a value (a tombstone) is
   * `no_value`, one over `maxMessageBytes` (MAX_MESSAGE_BYTES) is `too_large`, and the rest is
   * EtlPipeline.apply's outcome, returned as is (no allocation on the deliver and filter paths).
   * `deliver.body` is the exact request body of a single-record delivery, or this record's
   * element of a batch array. Never throws.
   */
  static prepare(value: Buffer | null | undefined, etl: EtlPipeline, maxMessageBytes: number): EtlOutcome {
    if (value === null || value === undefined) {
      return { kind: 'reject', reason: DeadLetterReason.NoValue, error: 'record has no value (a tombstone); there is nothing to deliver' };
    }
    if (value.length > maxMessageBytes) {
      return {
        kind: 'reject',
        reason: DeadLetterReason.TooLarge,
        error: `value is ${value.length} bytes, over the ${maxMessageBytes}-byte limit (MAX_MESSAGE_BYTES)`,
      };
    }
    return etl.apply(value);
  }

  /** The headers of a single-record request: the endpoint's configured headers, then the record's (kafkaRequestHeaders). */
  static headers(target: DeliveryTarget, record: RecordCoordinates): HeaderList {
    return kafkaRequestHeaders(target.headers, record, target.forward);
  }

  /** The headers of a batch request of `records`, in array order (batchRequestHeaders). */
  static batchHeaders(target: DeliveryTarget, topic: string, records: readonly RecordCoordinates[]): HeaderList {
    return batchRequestHeaders(target.headers, topic, records);
  }

  /** The body of a batch request: the records' prepared bodies as one JSON array (batchBody). */
  static batchBody(bodies: ReadonlyArray<Buffer | string>): Buffer {
    return batchBody(bodies);
  }
}
