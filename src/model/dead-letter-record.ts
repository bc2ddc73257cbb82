import type { DeadLetterReason } from './dead-letter-reason.enum';

/** Everything kept about a record that could not be delivered. */
export interface DeadLetterRecord {
  subscriptionId: number;
  topic: string;
  partition: number;
  offset: number;
  key: Buffer | null;
  /** [name, base64 value] pairs in record order. */
  headers: Array<[string, string]> | null;
  value: Buffer | null;
  timestamp: number | null;
  transformedBody: string | null;
  reason: DeadLetterReason;
  attempts: number;
  lastStatus: number | null;
  lastError: string;
  responseExcerpt: string | null;
  firstAttemptAt: Date | null;
  lastAttemptAt: Date | null;
}
