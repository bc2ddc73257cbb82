import type { RedeliveryJob, RedeliveryJobState } from '../redelivery-job';

/** A bulk re-delivery job as the API answers it; counts are records, times ISO 8601. */
export class RedeliveryJobResponseDto {
  id: string;
  subscriptionId: number;
  /** The instance that runs it: jobs live in its memory, so ask that instance. */
  instanceId: string;
  /** queued, running, done, cancelled (stopped between records after a cancel) or failed (see error). */
  state: RedeliveryJobState;
  /** The most records this job may send. */
  limit: number;
  /** Records it covers: the lower of limit and the pending dead letters when it started (0 while queued). */
  total: number;
  /** Records with an outcome so far: succeeded + failed + discarded + skipped. */
  done: number;
  /** Re-delivered (the endpoint accepted them; now redelivered). */
  succeeded: number;
  /** Sent and failed again (still pending, with the new error). */
  failed: number;
  /** Skipped by the current filter rules (now discarded). */
  discarded: number;
  /** Held by another request or no longer pending when reached. */
  skipped: number;
  /** More dead letters were pending than limit: start another job for the rest. */
  more: boolean;
  cancelRequested: boolean;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;

  static from(job: RedeliveryJob): RedeliveryJobResponseDto {
    return Object.assign(new RedeliveryJobResponseDto(), {
      id: job.id,
      subscriptionId: job.subscriptionId,
      instanceId: job.instanceId,
      state: job.state,
      limit: job.limit,
      total: job.total,
      done: job.done,
      succeeded: job.succeeded,
      failed: job.failed,
      discarded: job.discarded,
      skipped: job.skipped,
      more: job.more,
      cancelRequested: job.cancelRequested,
      error: job.error,
      createdAt: job.createdAt.toISOString(),
      startedAt: job.startedAt?.toISOString() ?? null,
      finishedAt: job.finishedAt?.toISOString() ?? null,
    });
  }
}
