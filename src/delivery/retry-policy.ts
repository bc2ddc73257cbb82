import type { DeliveryPolicySpec } from '../model/delivery-spec';

/** Exponential backoff with full jitter; Retry-After (when given) is honoured up to maxBackoffMs. */
export class RetryPolicy {
  constructor(
    private readonly spec: Pick<DeliveryPolicySpec, 'maxRetries' | 'backoffMs' | 'maxBackoffMs'>,
    private readonly random: () => number = Math.random,
  ) {}

  /** attempt is 1-based: the number of attempts made so far. */
  canRetry(attempt: number): boolean {
    return attempt <= this.spec.maxRetries;
  }

  static isRetryableStatus(status: number): boolean {
    return status === 408 || status === 429 || status >= 500;
  }

  delayMs(attempt: number, retryAfterMs?: number): number {
    const { backoffMs, maxBackoffMs } = this.spec;
    const ceiling = Math.min(maxBackoffMs, backoffMs * 2 ** Math.min(attempt - 1, 30));
    const jittered = Math.floor(this.random() * ceiling);
    if (retryAfterMs === undefined) return jittered;
    return Math.min(maxBackoffMs, Math.max(retryAfterMs, jittered));
  }

  /** Retry-After is either delta-seconds or an HTTP date. */
  static parseRetryAfter(header: string | string[] | undefined, now = Date.now()): number | undefined {
    const value = Array.isArray(header) ? header[0] : header;
    if (!value) return undefined;
    if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
    const at = Date.parse(value);
    return Number.isNaN(at) ? undefined : Math.max(0, at - now);
  }
}
