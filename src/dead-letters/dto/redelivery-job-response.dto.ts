import { describeSelection } from '../dead-letter-selection';
import type { BulkAction, RedeliveryJob, RedeliveryJobState } from '../redelivery-job';

/** A bulk job (re-delivery, or a selection's discard) as the API answers it; counts are records, times ISO 8601. */
export class RedeliveryJobResponseDto {
  id: string;
  /** The subscription whose dead letters it takes; null for a selection by ids, or by a filter naming none. */
  subscriptionId: number | null;
  /** redeliver, or discard (POST /api/dead-letters/bulk-jobs). */
  action: BulkAction;
  /** What it takes: null for every pending dead letter of subscriptionId; {ids: n} for n selected ids; else the filter's fields. */
  selection: Record<string, unknown> | null;
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
  /** Re-delivered (the endpoint accepted them; now redelivered); 0 for a discard. */
  succeeded: number;
  /** Sent and failed again (still pending, with the new error). */
  failed: number;
  /** Discarded: by a discard job, or skipped by the current filter rules on re-delivery. */
  discarded: number;
  /** Held by another request or no longer pending when reached, or (a selection's re-delivery) of a subscription that is gone or cannot run. */
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
      action: job.action,
      selection: job.selection ? describeSelection(job.selection) : null,
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
