import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { AuditLog } from '../audit/audit-log.service';
import { DomainErrorCode } from '../common/errors/domain-error-code.enum';
import { DomainException } from '../common/errors/domain.exception';
import { JsonLogger } from '../common/logging/json.logger';
import type { RequestActor } from '../common/request-context/request-actor';
import { AppConfig } from '../config/app.config';
import { sqlErrorSummary } from '../database/sql-failure';
import { DeadLetterRedeliveryService } from './dead-letter-redelivery.service';
import { DeadLettersRepository } from './dead-letters.repository';
import { describeSelection, type DeadLetterSelection } from './dead-letter-selection';
import { RedeliveryJob, type BulkAction } from './redelivery-job';

/** Finished jobs kept for GET (the oldest finished go first). */
const KEPT_FINISHED = 100;
/** Retry-After of a refusal because every job slot is taken, s. */
const RETRY_AFTER_S = 5;

/**
 * Runs bulk re-deliveries (and discards of a selection) as background jobs in this instance's memory: at most
 * DEAD_LETTER_BULK_JOBS at once (more are refused with 429 naming the running ones), one per
 * subscription at a time (409), each covering at most `limit` ≤ DEAD_LETTER_BULK_MAX_RECORDS
 * records (400 naming the maximum). A job that is lost with its instance loses only its
 * counters: every dead letter's state is in the database, so a new job picks up what is still
 * pending.
 */
@Injectable()
export class RedeliveryJobsService implements OnApplicationShutdown {
  private readonly jobs = new Map<string, RedeliveryJob>();

  constructor(
    private readonly redelivery: DeadLetterRedeliveryService,
    private readonly repository: DeadLettersRepository,
    private readonly config: AppConfig,
    private readonly logger: JsonLogger,
    private readonly audit: AuditLog,
  ) {}

  /**
   * Starts a job and returns it at once (queued or running); its work goes on in the background.
   * @param limit the most records to send; default DEAD_LETTER_BULK_MAX_RECORDS
   * @throws DomainException ValidationFailed (limit over the maximum), SubscriptionDeleted,
   *   SubscriptionConfigInvalid, RedeliveryJobRunning (it already has a job running here), Busy
   *   (429: every job slot is taken)
   */
  async start(subscriptionId: number, limit: number | undefined, actor: RequestActor): Promise<RedeliveryJob> {
    const max = this.checkLimit(limit);
    this.admit(subscriptionId);
    await this.redelivery.checkRedeliverable(subscriptionId);
    // Checked again: another request may have taken the slot while the subscription was read.
    this.admit(subscriptionId);
    const job = new RedeliveryJob(subscriptionId, limit ?? max, this.config.instanceId);
    this.jobs.set(job.id, job);
    this.forgetOldFinished();
    void this.run(job, actor);
    return job;
  }

  /**
   * Starts a job that re-delivers or discards a selection of dead letters (ids, or every pending
   * one a filter matches, across subscriptions), in the same job slots as start(); returns it at
   * once. A filter naming a subscription takes that subscription's one job at a time.
   * @param limit the most records to act on; default DEAD_LETTER_BULK_MAX_RECORDS
   * @throws DomainException ValidationFailed (limit over the maximum), RedeliveryJobRunning,
   *   Busy (429), and for a re-delivery filtered to one subscription SubscriptionDeleted and
   *   SubscriptionConfigInvalid
   */
  async startSelection(action: BulkAction, selection: DeadLetterSelection, limit: number | undefined, actor: RequestActor): Promise<RedeliveryJob> {
    const max = this.checkLimit(limit);
    const subscriptionId = 'filter' in selection ? (selection.filter.subscriptionId ?? null) : null;
    this.admit(subscriptionId);
    if (action === 'redeliver' && subscriptionId !== null) {
      await this.redelivery.checkRedeliverable(subscriptionId);
      this.admit(subscriptionId);
    }
    const job = new RedeliveryJob(subscriptionId, limit ?? max, this.config.instanceId, action, selection);
    this.jobs.set(job.id, job);
    this.forgetOldFinished();
    void this.run(job, actor);
    return job;
  }

  /** The job's limit's maximum (DEAD_LETTER_BULK_MAX_RECORDS); 400 naming it when `limit` is over. */
  private checkLimit(limit: number | undefined): number {
    const max = this.config.deadLetterBulkMaxRecords;
    if (limit !== undefined && limit > max) {
      throw DomainException.forFields(DomainErrorCode.ValidationFailed, [
        {
          path: 'limit',
          message: `must be at most ${max} records per bulk job (DEAD_LETTER_BULK_MAX_RECORDS); start another job for the rest when this one is done`,
        },
      ]);
    }
    return max;
  }

  /** @throws DomainException RedeliveryJobNotFound when this instance has no such job (jobs live in the memory of the instance that runs them). */
  get(id: string): RedeliveryJob {
    const job = this.jobs.get(id);
    if (!job)
      throw new DomainException(
        DomainErrorCode.RedeliveryJobNotFound,
        `re-delivery job ${id} does not exist on instance ${this.config.instanceId} (jobs live in the memory of the instance that started them, until it restarts)`,
      );
    return job;
  }

  /** This instance's jobs, newest first (running ones and the last finished ones). */
  list(): RedeliveryJob[] {
    return [...this.jobs.values()].reverse();
  }

  /**
   * Asks a job to stop before its next record (records in flight finish); it then ends as
   * cancelled. A job that already ended is answered as it is.
   * @throws DomainException RedeliveryJobNotFound as get() does
   */
  async cancel(id: string, actor: RequestActor): Promise<RedeliveryJob> {
    const job = this.get(id);
    if (job.active && !job.cancelRequested) {
      job.cancel();
      await this.audit.record(
        {
          action: 'dead_letter.redeliver_job_cancel',
          resourceType: job.subscriptionId === null ? 'dead_letter' : 'subscription',
          resourceId: job.subscriptionId,
          after: { jobId: job.id, done: job.done },
        },
        actor,
      );
    }
    return job;
  }

  onApplicationShutdown(): void {
    for (const job of this.jobs.values()) job.cancel();
  }

  /** Refuses a job while the subscription (when it has one) has one running here, or every slot is taken. */
  private admit(subscriptionId: number | null): void {
    const running = [...this.jobs.values()].filter((j) => j.active);
    const same = subscriptionId === null ? undefined : running.find((j) => j.subscriptionId === subscriptionId);
    if (same) {
      throw new DomainException(
        DomainErrorCode.RedeliveryJobRunning,
        `subscription ${subscriptionId} already has a re-delivery job running: ${same.id} (${same.done} of ${same.total} done); watch or cancel it first`,
      );
    }
    if (running.length >= this.config.deadLetterBulkJobs) {
      throw new DomainException(
        DomainErrorCode.Busy,
        `this instance runs at most ${this.config.deadLetterBulkJobs} bulk re-delivery job(s) at once (DEAD_LETTER_BULK_JOBS); running: ${running
          .map((j) => `job ${j.id} (${j.subscriptionId === null ? 'a selection' : `subscription ${j.subscriptionId}`}, ${j.done} of ${j.total} done)`)
          .join(', ')}; try again when one ends, or cancel one`,
        { retryAfterSeconds: RETRY_AFTER_S },
      );
    }
  }

  private async run(job: RedeliveryJob, actor: RequestActor): Promise<void> {
    const log = this.logger.child({ subscription: job.subscriptionId, job: job.id });
    try {
      if (!job.active) return;
      if (job.selection) {
        job.start(await this.repository.countPendingSelected(job.selection));
        if (job.active && job.action === 'discard') await this.redelivery.discardSelection(job.selection, job);
        else if (job.active) await this.redelivery.redeliverSelection(job.selection, job);
      } else {
        job.start(await this.repository.countPending(job.subscriptionId!));
        if (job.active) await this.redelivery.redeliverBulk(job.subscriptionId!, job);
      }
      job.finish('done');
    } catch (err) {
      if (err instanceof DomainException) job.finish('failed', err.message, err);
      else {
        // A database failure's message may quote values; the log gets its summary only.
        log.error('a bulk re-delivery failed', { ...sqlErrorSummary(err) });
        job.finish('failed', 'the re-delivery stopped on an internal error (the database failed?); see the proxy log', err);
      }
    }
    const totals = { redelivered: job.succeeded, failed: job.failed, discarded: job.discarded };
    log.info(job.action === 'discard' ? 'dead letters discarded' : 'dead letters redelivered', { state: job.state, ...totals, skipped: job.skipped });
    const change = job.selection
      ? {
          action: job.action === 'discard' ? 'dead_letter.bulk_discard' : 'dead_letter.bulk_redeliver',
          resourceType: 'dead_letter' as const,
          resourceId: null,
          after: { ...totals, skipped: job.skipped, selection: describeSelection(job.selection), jobId: job.id, state: job.state },
        }
      : {
          action: 'dead_letter.redeliver_all',
          resourceType: 'subscription' as const,
          resourceId: job.subscriptionId,
          after: { ...totals, jobId: job.id, state: job.state },
        };
    await this.audit.record(change, actor).catch((err: Error) => log.warn('could not audit a bulk re-delivery', { err: err.message }));
  }

  private forgetOldFinished(): void {
    const finished = [...this.jobs.values()].filter((j) => !j.active);
    for (const job of finished.slice(0, Math.max(0, finished.length - KEPT_FINISHED))) this.jobs.delete(job.id);
  }
}
