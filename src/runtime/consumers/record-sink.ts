import type { Message } from '@confluentinc/kafka-javascript';

/** 'done': filtered, delivered or durably dead-lettered. 'abandoned': given up (stop, revoke); not done. */
export type ProcessResult = 'done' | 'abandoned';

/**
 * Where the dispatcher sends delivery units: RecordProcessor in the proxy, a fake in unit specs.
 * Every method takes the signal that aborts when the records' partition is revoked or the
 * consumer stops, and rejects only on an exception of kproxy's own (a bug, a store that threw):
 * the dispatcher then retries the unit later and, after a few, dead-letters it.
 */
export interface RecordSink {
  /** One record, sent as its own body. */
  process(msg: Message, signal: AbortSignal): Promise<ProcessResult>;
  /** Records sent as JSON array bodies; results follow `msgs`. */
  processBatch(msgs: readonly Message[], signal: AbortSignal): Promise<ProcessResult[]>;
  /** Stores a record kproxy failed on `failures` times in a row as an internal_error dead letter. */
  deadLetterUnexpected(msg: Message, signal: AbortSignal, error: string, failures: number): Promise<ProcessResult>;
}
