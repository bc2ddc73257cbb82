import type { EndpointSignal } from './circuit-breaker';
import type { EndpointSpec, HttpMethod } from '../model/delivery-spec';
import type { HttpAttempt } from './http-attempt';
import type { HeaderForwarding } from './kafka-headers';
import { RetryPolicy } from './retry-policy';
import { SuccessRule } from './success-rule';

/** Characters of a response body kept with a failure. */
export const EXCERPT_CHARS = 2048;
const PER_RECORD_HEADERS = new Set([
  'x-kafka-topic',
  'x-kafka-partition',
  'x-kafka-offset',
  'x-kafka-key',
  'x-kafka-key-encoding',
  'x-kafka-base64-headers',
  'x-kafka-omitted-headers',
  'x-kafka-records',
  'x-kafka-batch-size',
  'idempotency-key',
]);

export interface AttemptVerdict {
  readonly ok: boolean;
  /** Why it failed, for the dead-letter row and logs. */
  readonly problem: string;
  /** Network errors, timeouts, 5xx, 408, 429 and errcode mismatches may succeed next time. */
  readonly retryable: boolean;
  /** A bounded excerpt of the response body, kept with a failure. */
  readonly excerpt: string | null;
}

const DELIVERED: AttemptVerdict = { ok: true, problem: '', retryable: false, excerpt: null };
/** What a 413 means whatever the success rule says (RFC 9110 §15.5.14): the same body never fits. */
export const TOO_LARGE = 'HTTP status 413: the body is too large for the endpoint';
/**
 * Refusals that are about the request's target or credentials, not the records in it
 * (RFC 9110 §15.5: 401, 403, 404, 405, 407): sending fewer records gets the same answer.
 */
const NOT_ABOUT_RECORDS = new Set([401, 403, 404, 405, 407]);

/** An endpoint compiled once per config version: parsed URL, normalised headers, success rule. */
export class DeliveryTarget {
  readonly origin: string;
  readonly path: string;
  readonly method: HttpMethod;
  readonly timeoutMs: number;
  /** Flat name/value list, lower-case names; the per-record headers are appended to a copy. */
  readonly headers: readonly string[];
  readonly success: SuccessRule;
  /** Record headers forwarded under HTTP names (lower-case). */
  readonly forward: HeaderForwarding;

  constructor(spec: EndpointSpec) {
    const url = new URL(spec.url);
    this.origin = url.origin;
    this.path = (url.pathname || '/') + url.search;
    this.method = spec.method;
    this.timeoutMs = spec.timeoutMs;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    for (const [name, value] of Object.entries(spec.headers)) {
      const lower = name.toLowerCase();
      // The record's own coordinates always win over a configured header of the same name.
      if (!PER_RECORD_HEADERS.has(lower)) headers[lower] = value;
    }
    // User info in the URL is HTTP Basic credentials (RFC 3986 §3.2.1, RFC 7617); undici would
    // drop it silently. A configured Authorization header wins.
    if ((url.username || url.password) && headers.authorization === undefined) {
      headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
    }
    this.headers = Object.entries(headers).flat();
    this.success = new SuccessRule(spec);
    this.forward = Object.entries(spec.recordHeaders ?? {}).map(([record, http]) => [record, http.toLowerCase()] as const);
  }

  /** The one place that decides what an HTTP attempt means, for live delivery and re-delivery alike. Never throws. */
  judge(res: HttpAttempt): AttemptVerdict {
    if (res.status === 0) return { ok: false, problem: res.error ?? 'no response', retryable: true, excerpt: null };
    if (res.status === 413)
      return { ok: false, problem: TOO_LARGE, retryable: false, excerpt: res.body === undefined ? null : res.body.slice(0, EXCERPT_CHARS) };
    let verdict;
    try {
      verdict = this.success.evaluate(res.status, res.body);
    } catch (err) {
      // Reading this response failed and would fail again on the same answer: not retried.
      return {
        ok: false,
        problem: `the success rule failed on the response: ${err instanceof Error ? err.message : String(err)}`.slice(0, 500),
        retryable: false,
        excerpt: res.body === undefined ? null : res.body.slice(0, EXCERPT_CHARS),
      };
    }
    if (verdict.ok) return DELIVERED;
    return {
      ok: false,
      problem: verdict.problem ?? 'delivery failed',
      retryable: RetryPolicy.isRetryableStatus(res.status) || this.success.statusOk(res.status),
      excerpt: res.body === undefined ? null : res.body.slice(0, EXCERPT_CHARS),
    };
  }

  /**
   * Whether a non-retryable answer with this status may be caused by some records of a batch,
   * so that sending halves could get the rest through: a 4xx other than the target and
   * credential refusals in NOT_ABOUT_RECORDS. A 2xx whose success rule failed, a 3xx or a
   * missing status says nothing about single records.
   */
  static mayBeRecordRefusal(status: number | null): boolean {
    return status !== null && status >= 400 && status < 500 && !NOT_ABOUT_RECORDS.has(status);
  }

  /**
   * What an attempt said of the endpoint, for its circuit breaker and in-flight limit: no answer
   * (refused or reset connection, timeout: status 0), 429 Too Many Requests and 502/503/504 (RFC
   * 9110 §15.6: the gateway or the service cannot take requests now) say it is unavailable; any
   * other answer says it is up, whatever it thought of the record.
   */
  static endpointSignal(status: number, ok: boolean): EndpointSignal {
    if (ok) return 'ok';
    return status === 0 || status === 429 || status === 502 || status === 503 || status === 504 ? 'unavailable' : 'answered';
  }

  /**
   * Whether a failed attempt cannot be the record's own doing: no connection was made, or the
   * endpoint said 429 or 503 (RFC 9110 §15.5.30, §15.6.4). A timeout, a reset, 502 or 504 may be
   * caused by the record (a request the endpoint chokes on), so such a record spends its retries
   * and cannot hold its partition forever as the breaker's only probe.
   */
  static notTheRecordsDoing(res: HttpAttempt): boolean {
    return res.connectFailed === true || res.status === 429 || res.status === 503;
  }
}
