/** Why a record ended in the dead-letter store. */
export enum DeadLetterReason {
  NoValue = 'no_value',
  TooLarge = 'too_large',
  NotJson = 'not_json',
  /** Nested deeper than the ETL accepts (JsonDepth.MAX_ACCEPTED, 512 levels). */
  TooDeep = 'too_deep',
  /** The filter or projection threw on this record (e.g. a filter script meeting an unexpected type). */
  EtlError = 'etl_error',
  PathNotMatched = 'path_not_matched',
  Rejected = 'rejected',
  RetriesExhausted = 'retries_exhausted',
  /** kproxy itself failed on this record several times in a row (a bug); the error says where. */
  InternalError = 'internal_error',
  /** Not sent: an earlier record with its key is a dead letter (delivery.keyParking); re-delivering that key sends both in order. */
  Parked = 'parked',
}
