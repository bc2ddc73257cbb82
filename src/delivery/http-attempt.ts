/**
 * What one HTTP attempt came back with (HttpSender.send). In a file of its own so the sender,
 * its dispatch handler and the target that judges the answer share it without importing each other.
 */
export interface HttpAttempt {
  /** 0 when no response arrived (connection error, timeout). */
  readonly status: number;
  readonly error?: string;
  /** The response text, read only when the verdict or a failure report needs it (bounded). */
  readonly body?: string;
  readonly retryAfterMs?: number;
  /** True when no connection was made (refused, unresolvable, unreachable, connect timeout): the request never reached the endpoint. */
  readonly connectFailed?: boolean;
}
