import { DomainErrorCode } from '../common/errors/domain-error-code.enum';
import { DomainException } from '../common/errors/domain.exception';
import type { AppConfig } from '../config/app.config';
import type { AuditLog } from '../audit/audit-log.service';
import { JsonLogger } from '../common/logging/json.logger';
import type { BulkControl, DeadLetterRedeliveryService } from './dead-letter-redelivery.service';
import type { DeadLettersRepository } from './dead-letters.repository';
import { RedeliveryJobsService } from './redelivery-jobs.service';

const ACTOR = { role: 'operator', name: 'test' } as never;

/**
 * A subscription's backlog as the fake redelivery sees it: `pending` records, each sent only
 * after `release()` lets it go (so a test can look between records), answered by `outcome`.
 */
class FakeBacklog {
  sent = 0;
  private waiting: Array<() => void> = [];
  constructor(
    readonly pending: number,
    private readonly outcome: (n: number) => 'redelivered' | 'failed' | 'discarded' = () => 'redelivered',
  ) {}
  async run(control: BulkControl): Promise<void> {
    for (let n = 0; n < this.pending; n++) {
      if (!control.take()) return;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
      this.sent++;
      control.settle(this.outcome(n));
    }
  }
  /** Lets the records waiting go, then lets the run reach its next record. */
  async release(): Promise<void> {
    const go = this.waiting.splice(0);
    for (const g of go) g();
    for (let i = 0; i < 5; i++) await Promise.resolve();
  }
  get blocked(): number {
    return this.waiting.length;
  }
}

function setup(backlogs: Record<number, FakeBacklog>, config: Partial<AppConfig> = {}) {
  const redelivery = {
    checkRedeliverable: async (id: number) => {
      if (!backlogs[id]) throw new DomainException(DomainErrorCode.SubscriptionDeleted, `subscription ${id} no longer exists`);
    },
    redeliverBulk: (id: number, control: BulkControl) => backlogs[id].run(control),
  } as unknown as DeadLetterRedeliveryService;
  const repository = { countPending: async (id: number) => backlogs[id].pending } as unknown as DeadLettersRepository;
  const audit = { record: jest.fn(async () => undefined) };
  const logger = new JsonLogger('error', () => undefined);
  const cfg = { deadLetterBulkMaxRecords: 10_000, deadLetterBulkJobs: 2, instanceId: 'i-1', ...config } as AppConfig;
  return { jobs: new RedeliveryJobsService(redelivery, repository, cfg, logger, audit as unknown as AuditLog), audit };
}

/** Lets the job's promise chain move (counting, starting) without releasing records. */
const settle = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('RedeliveryJobsService', () => {
  it('answers at once, then shows progress record by record and ends done with the totals', async () => {
    const backlog = new FakeBacklog(3, (n) => (n === 1 ? 'failed' : 'redelivered'));
    const { jobs, audit } = setup({ 1: backlog });
    const job = await jobs.start(1, undefined, ACTOR);
    expect(['queued', 'running']).toContain(job.state);
    await settle();
    expect(job).toMatchObject({ state: 'running', total: 3, done: 0, limit: 10_000, more: false });
    expect(job.startedAt).not.toBeNull();
    await backlog.release();
    expect(job.done).toBe(1);
    await backlog.release();
    await backlog.release();
    await job.finished;
    expect(job).toMatchObject({ state: 'done', total: 3, done: 3, succeeded: 2, failed: 1, discarded: 0 });
    expect(job.finishedAt).not.toBeNull();
    expect(audit.record).toHaveBeenCalledWith(
      expect.objectContaining({ action: 'dead_letter.redeliver_all', after: expect.objectContaining({ redelivered: 2, failed: 1, jobId: job.id }) }),
      ACTOR,
    );
    expect(jobs.get(job.id)).toBe(job);
    expect(jobs.list()).toEqual([job]);
  });

  it('sends at most limit records and says more were pending', async () => {
    const backlog = new FakeBacklog(10);
    const { jobs } = setup({ 1: backlog });
    const job = await jobs.start(1, 4, ACTOR);
    await settle();
    while (job.active) await backlog.release();
    expect(backlog.sent).toBe(4);
    expect(job).toMatchObject({ state: 'done', total: 4, done: 4, more: true });
  });

  it('refuses a limit over the maximum, naming it', async () => {
    const { jobs } = setup({ 1: new FakeBacklog(1) }, { deadLetterBulkMaxRecords: 500 } as never);
    const err = await jobs.start(1, 501, ACTOR).catch((e: DomainException) => e);
    expect(err).toBeInstanceOf(DomainException);
    expect(err).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(String((err as DomainException).details)).toContain('at most 500 records');
    expect(jobs.list()).toEqual([]);
  });

  it('a cancel stops the job between records: the record in flight finishes, no other starts', async () => {
    const backlog = new FakeBacklog(100);
    const { jobs } = setup({ 1: backlog });
    const job = await jobs.start(1, undefined, ACTOR);
    await settle();
    await backlog.release();
    await backlog.release();
    expect(backlog.blocked).toBe(1); // the third record is in flight
    await jobs.cancel(job.id, ACTOR);
    expect(job.state).toBe('running');
    await backlog.release();
    await job.finished;
    expect(job).toMatchObject({ state: 'cancelled', done: 3, cancelRequested: true });
    expect(backlog.sent).toBe(3);
    // Cancelling again, or a finished job, changes nothing.
    expect((await jobs.cancel(job.id, ACTOR)).state).toBe('cancelled');
  });

  it('runs at most DEAD_LETTER_BULK_JOBS at once, refusing more with 429 naming the running jobs', async () => {
    const backlogs = { 1: new FakeBacklog(2), 2: new FakeBacklog(2), 3: new FakeBacklog(2) };
    const { jobs } = setup(backlogs);
    const first = await jobs.start(1, undefined, ACTOR);
    const second = await jobs.start(2, undefined, ACTOR);
    const refused = await jobs.start(3, undefined, ACTOR).catch((e: DomainException) => e);
    expect(refused).toMatchObject({ code: 'BUSY', retryAfterSeconds: 5 });
    expect(String((refused as DomainException).details)).toContain(first.id);
    expect(String((refused as DomainException).details)).toContain(second.id);
    // One per subscription: a second job of subscription 1 is a conflict naming the first.
    const twice = await jobs.start(1, undefined, ACTOR).catch((e: DomainException) => e);
    expect(twice).toMatchObject({ code: 'REDELIVERY_JOB_RUNNING' });
    expect(String((twice as DomainException).details)).toContain(first.id);
    await settle();
    while (first.active) await backlogs[1].release();
    const third = await jobs.start(3, undefined, ACTOR);
    expect(third.active).toBe(true);
    while (second.active || third.active) {
      await backlogs[2].release();
      await backlogs[3].release();
    }
    expect([first.state, second.state, third.state]).toEqual(['done', 'done', 'done']);
  });

  it('a job whose run fails ends failed with the reason, freeing its slot', async () => {
    const { jobs } = setup({ 1: new FakeBacklog(1) }, { deadLetterBulkJobs: 1 } as never);
    (jobs as unknown as { redelivery: { redeliverBulk: () => Promise<void> } }).redelivery.redeliverBulk = async () => {
      throw new DomainException(DomainErrorCode.SubscriptionDeleted, 'subscription 1 no longer exists');
    };
    const job = await jobs.start(1, undefined, ACTOR);
    await job.finished;
    expect(job).toMatchObject({ state: 'failed', error: 'subscription 1 no longer exists' });
    expect(jobs.get(job.id).active).toBe(false);
    const missing = (() => {
      try {
        jobs.get('00000000-0000-4000-8000-000000000000');
      } catch (e) {
        return e;
      }
    })();
    expect(missing).toMatchObject({ code: 'REDELIVERY_JOB_NOT_FOUND' });
  });
});
