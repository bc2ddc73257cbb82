import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Pool } from 'undici';
import { AbortFanout } from './abort-fanout';
import { AttemptHandler } from './attempt-handler';
import type { DeliveryTarget } from './delivery-target';
import type { HttpAttempt } from './http-attempt';
import { OutboundGuard } from './outbound-guard';

/** Outbound HTTP over undici, one keep-alive pool per endpoint origin. */
@Injectable()
export class HttpSender implements OnApplicationShutdown {
  private readonly pools = new Map<string, Pool>();
  /** Per cancel signal (a partition's, shared by all its records in flight): see AbortFanout. */
  private readonly fanouts = new WeakMap<AbortSignal, AbortFanout>();

  constructor(private readonly guard: OutboundGuard) {}

  /**
   * One attempt: never throws; a network error, a timeout (headersTimeout/bodyTimeout =
   * target.timeoutMs) or a cancel comes back as status 0 with `error`. cancel: aborts the
   * request when the record's work is given up (stop, revoke).
   */
  send(target: DeliveryTarget, body: string | Buffer, headers: readonly string[], cancel?: AbortSignal): Promise<HttpAttempt> {
    const handler = new AttemptHandler(target, cancel ? this.fanout(cancel) : null);
    try {
      this.pool(target.origin).dispatch(
        {
          origin: target.origin,
          path: target.path,
          method: target.method,
          headers: headers as string[],
          body,
          headersTimeout: target.timeoutMs,
          bodyTimeout: target.timeoutMs,
        },
        handler,
      );
    } catch (err) {
      handler.onResponseError(null as never, err as Error);
    }
    return handler.result;
  }

  async onApplicationShutdown(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.allSettled(pools.map((p) => p.close()));
  }

  private fanout(signal: AbortSignal): AbortFanout {
    let fanout = this.fanouts.get(signal);
    if (!fanout) {
      fanout = new AbortFanout(signal);
      this.fanouts.set(signal, fanout);
    }
    return fanout;
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
