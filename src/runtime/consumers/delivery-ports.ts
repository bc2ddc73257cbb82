import type { DeadLetterRecord } from '../../model/dead-letter-record';
import type { DeliveryTarget } from '../../delivery/delivery-target';
import type { HttpAttempt } from '../../delivery/http-attempt';

/**
 * The outbound HTTP call the record processor makes (HttpSender in the proxy): one attempt,
 * never throwing for the endpoint's failures (they come back in HttpAttempt). `headers` is a
 * flat name, value list; `cancel` aborts the request (revoke, stop).
 */
export interface RecordSender {
  send(target: DeliveryTarget, body: string | Buffer, headers: readonly string[], cancel?: AbortSignal): Promise<HttpAttempt>;
}

/** Where records that cannot be delivered are kept (DeadLettersService in the proxy). Rejects when the store fails. */
export interface DeadLetterSink {
  /** Stores a dead letter. */
  record(deadLetter: DeadLetterRecord): Promise<void>;
  /**
   * Stores a record behind its key's pending dead letter (delivery.keyParking), atomically with
   * the check; false when the key has no pending dead letter any more (then nothing is stored).
   */
  parkBehindKey(deadLetter: DeadLetterRecord & { key: Buffer }): Promise<boolean>;
}

/** Keys with pending dead letters of a subscription (delivery.keyParking), read from the store. */
export interface ParkedKeySource {
  pendingKeys(subscriptionId: number): Promise<Buffer[]>;
}
