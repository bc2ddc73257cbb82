import type { Dispatcher } from 'undici';
import type { AbortFanout } from './abort-fanout';
import type { DeliveryTarget } from './delivery-target';
import type { HttpAttempt } from './http-attempt';
import { RetryPolicy } from './retry-policy';

/** Error codes that mean the request never reached the endpoint, whatever it carried. */
const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/** Bytes of a response body kept for the verdict or a failure report. */
export const MAX_RESPONSE_BODY_BYTES = 64 * 1024;

/**
 * One HTTP attempt at undici's dispatch level (undici's DispatchHandler, lib/dispatcher/
 * dispatcher-base.js): no response stream, no promise per body, the body kept only when the
 * verdict or a failure report needs it (a status the rule refuses, or a rule that reads the
 * body), at most MAX_RESPONSE_BODY_BYTES, and Retry-After read only off a refusal;
 * past that the request is aborted and the attempt keeps the status and the excerpt. A status
 * the rule takes without a body settles the attempt at the headers: a body that streams on
 * (SSE, a download) holds no record, and is cut off after the same bound. Measured
 * against `pool.request()` + `body.dump()` in BENCHMARKS.md (cost per record). Settles once:
 * with the response, with `cancelled` when `cancel` aborts, or with the network error.
 */
export class AttemptHandler implements Dispatcher.DispatchHandler {
  readonly result: Promise<HttpAttempt>;
  private settle!: (attempt: HttpAttempt) => void;
  private controller: Dispatcher.DispatchController | null = null;
  private settled = false;
  private status = 0;
  private retryAfter: string | string[] | undefined;
  private chunks: Buffer[] | null = null;
  private size = 0;

  constructor(
    private readonly target: DeliveryTarget,
    private readonly cancel: AbortFanout | null,
  ) {
    this.result = new Promise<HttpAttempt>((resolve) => (this.settle = resolve));
    if (cancel) {
      if (cancel.aborted) this.onCancel();
      else cancel.addEventListener('abort', this.onCancel);
    }
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    // Cancelled while queued behind busy connections: never sent.
    if (this.settled) controller.abort(new Error('cancelled'));
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    // 1xx interim answers precede the final one (RFC 9110 §15.2).
    if (statusCode < 200) return;
    this.status = statusCode;
    const ok = this.target.success.statusOk(statusCode);
    if (!ok) this.retryAfter = headers['retry-after'];
    if (!ok || this.target.success.needsBody) this.chunks = [];
    else this.finish();
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.size >= MAX_RESPONSE_BODY_BYTES) return;
    if (this.chunks !== null) this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.size >= MAX_RESPONSE_BODY_BYTES) {
      this.finish();
      controller.abort(new Error('response body over the bound'));
    }
  }

  onResponseEnd(): void {
    this.finish();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (this.settled) return;
    this.done(failedAttempt(err, this.target));
  }

  private readonly onCancel = (): void => {
    if (this.settled) return;
    this.done({ status: 0, error: 'cancelled: the consumer stopped or the partition moved' });
    this.controller?.abort(new Error('cancelled'));
  };

  private finish(): void {
    if (this.settled) return;
    const status = this.status;
    const body = this.chunks === null ? undefined : Buffer.concat(this.chunks).subarray(0, MAX_RESPONSE_BODY_BYTES).toString('utf8');
    const retryAfterMs = this.retryAfter === undefined ? undefined : RetryPolicy.parseRetryAfter(this.retryAfter);
    this.done(retryAfterMs === undefined ? { status, body } : { status, body, retryAfterMs });
  }

  private done(attempt: HttpAttempt): void {
    this.settled = true;
    this.chunks = null;
    this.cancel?.removeEventListener('abort', this.onCancel);
    this.settle(attempt);
  }
}

function failedAttempt(err: unknown, target: DeliveryTarget): HttpAttempt {
  const e = err as { code?: string; cause?: { code?: string } };
  const code = e?.code ?? e?.cause?.code;
  return { status: 0, error: describeNetworkError(err, target), ...(code && CONNECT_FAILURES.has(code) ? { connectFailed: true } : {}) };
}

function describeNetworkError(err: unknown, target: DeliveryTarget): string {
  const e = err as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.code === 'UND_ERR_HEADERS_TIMEOUT' || e?.code === 'UND_ERR_BODY_TIMEOUT') {
    return `timed out after ${target.timeoutMs} ms waiting for ${target.origin}`;
  }
  const code = e?.code ?? e?.cause?.code;
  const message = e?.cause?.message ?? e?.message ?? String(err);
  return `request to ${target.origin} failed${code ? ` (${code})` : ''}: ${message}`;
}
