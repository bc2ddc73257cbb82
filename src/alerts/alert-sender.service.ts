import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { JsonLogger } from '../common/logging/json.logger';
import { OutboundGuard } from '../delivery/outbound-guard';
import { Alert, AlertFormat, AlertMessage } from './alert-message';

const QUEUE_LIMIT = 1000;
const CONCURRENCY = 4;
const TIMEOUT_MS = 5000;
const RETRY_DELAYS_MS = [1000, 3000];

interface Job {
  readonly url: string;
  readonly format: AlertFormat;
  readonly alert: Alert;
}

/**
 * Sends alerts in the background: callers only enqueue, so a slow or dead webhook never holds
 * up evaluation, let alone the data path. The queue is bounded; the oldest alert is dropped.
 * Webhooks pass the same OutboundGuard as endpoints: the URL's host (a refused address, or off
 * ENDPOINT_ALLOWED_HOSTS) before sending, and what a host name resolves to when connecting, so a
 * webhook whose name points at a metadata address is refused, not sent, and not retried.
 */
@Injectable()
export class AlertSender implements OnApplicationShutdown {
  private readonly queue: Job[] = [];
  private workers = 0;
  private closed = false;
  private readonly abort = new AbortController();
  /** Connections whose host names are resolved through the guard (as HttpSender's pools are). */
  private readonly dispatcher: Agent;

  constructor(
    private readonly logger: JsonLogger,
    private readonly guard: OutboundGuard,
  ) {
    this.dispatcher = new Agent({ connect: { lookup: this.guard.lookup } as never });
  }

  enqueue(url: string, format: AlertFormat, alert: Alert): void {
    if (this.closed) return;
    if (this.queue.length >= QUEUE_LIMIT) {
      const dropped = this.queue.shift()!;
      this.logger.warn('alert queue full; dropping the oldest alert', { subscription: dropped.alert.subscription.id, kind: dropped.alert.kind });
    }
    this.queue.push({ url, format, alert });
    while (this.workers < CONCURRENCY && this.workers < this.queue.length) {
      this.workers++;
      void this.work().finally(() => this.workers--);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    this.abort.abort();
    this.queue.length = 0;
    await this.dispatcher.destroy().catch(() => undefined);
  }

  private async work(): Promise<void> {
    for (let job = this.queue.shift(); job && !this.closed; job = this.queue.shift()) await this.send(job);
  }

  private async send(job: Job): Promise<void> {
    const refused = this.guard.problemWithUrl(job.url);
    if (refused) return this.refuse(job, refused);
    const body = AlertMessage.render(job.alert, job.format);
    let problem = '';
    for (let attempt = 0; attempt <= RETRY_DELAYS_MS.length; attempt++) {
      if (attempt > 0) {
        try {
          await sleep(RETRY_DELAYS_MS[attempt - 1], undefined, { signal: this.abort.signal });
        } catch {
          return;
        }
      }
      try {
        const res = await request(job.url, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json' },
          headersTimeout: TIMEOUT_MS,
          bodyTimeout: TIMEOUT_MS,
          signal: this.abort.signal,
          dispatcher: this.dispatcher,
        });
        await res.body.dump();
        if (res.statusCode >= 200 && res.statusCode < 300) return;
        problem = `the webhook answered ${res.statusCode}`;
      } catch (err) {
        if (this.closed) return;
        const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
        if (e?.code === 'EKPROXYREFUSED' || e?.cause?.code === 'EKPROXYREFUSED')
          return this.refuse(job, (e.code === 'EKPROXYREFUSED' ? e.message : e.cause?.message) ?? 'refused');
        problem = (err as Error).message;
      }
    }
    this.logger.warn('alert webhook failed; alert dropped', {
      subscription: job.alert.subscription.id,
      kind: job.alert.kind,
      webhook: new URL(job.url).origin,
      err: problem,
    });
  }

  /** The guard refused the webhook's address: nothing was sent, and trying again cannot help. */
  private refuse(job: Job, reason: string): void {
    this.logger.warn('alert webhook refused by the outbound guard; alert dropped', {
      subscription: job.alert.subscription.id,
      kind: job.alert.kind,
      webhook: new URL(job.url).origin,
      err: reason,
    });
  }
}
