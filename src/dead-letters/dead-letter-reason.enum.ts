/** Why a record ended in the dead-letter store. */
export enum DeadLetterReason {
  NoValue = 'no_value',
  TooLarge = 'too_large',
  NotJson = 'not_json',
  PathNotMatched = 'path_not_matched',
  Rejected = 'rejected',
  RetriesExhausted = 'retries_exhausted',
}
