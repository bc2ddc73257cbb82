import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Pool } from 'undici';
import type { DeliveryTarget } from './delivery-target';
import { OutboundGuard } from './outbound-guard';
import { RetryPolicy } from './retry-policy';

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

/** Error codes that mean the request never reached the endpoint, whatever it carried. */
const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

const MAX_BODY_BYTES = 64 * 1024;

/** Outbound HTTP over undici, one keep-alive pool per endpoint origin. */
@Injectable()
export class HttpSender implements OnApplicationShutdown {
  private readonly pools = new Map<string, Pool>();

  constructor(private readonly guard: OutboundGuard) {}

  /** cancel: aborts the request when the record's work is given up (stop, revoke). */
  async send(target: DeliveryTarget, body: string | Buffer, headers: readonly string[], cancel?: AbortSignal): Promise<HttpAttempt> {
    const pool = this.pool(target.origin);
    try {
      const res = await pool.request({
        path: target.path,
        method: target.method,
        headers: headers as string[],
        body,
        headersTimeout: target.timeoutMs,
        bodyTimeout: target.timeoutMs,
        // headersTimeout + bodyTimeout bound the request; no per-request timer signal to allocate.
        signal: cancel,
      });
      const status = res.statusCode;
      const ok = target.success.statusOk(status);
      let text: string | undefined;
      if (!ok || target.success.needsBody) text = await readBounded(res.body);
      else await res.body.dump();
      const retryAfterMs = ok ? undefined : RetryPolicy.parseRetryAfter(res.headers['retry-after']);
      return { status, body: text, retryAfterMs };
    } catch (err) {
      if (cancel?.aborted) return { status: 0, error: 'cancelled: the consumer stopped or the partition moved' };
      const e = err as { code?: string; cause?: { code?: string } };
      const code = e?.code ?? e?.cause?.code;
      return { status: 0, error: describeNetworkError(err, target), ...(code && CONNECT_FAILURES.has(code) ? { connectFailed: true } : {}) };
    }
  }

  async onApplicationShutdown(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.allSettled(pools.map((p) => p.close()));
  }

  private pool(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      // The guard's lookup refuses host names that resolve to link-local or metadata addresses.
      pool = new Pool(origin, { connections: 256, pipelining: 1, keepAliveTimeout: 30_000, connect: { timeout: 10_000, lookup: this.guard.lookup } as never });
      this.pools.set(origin, pool);
    }
    return pool;
  }
}

async function readBounded(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= MAX_BODY_BYTES) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES).toString('utf8');
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
