import { Injectable } from '@nestjs/common';
import { AuditLog } from '../audit/audit-log.service';
import type { RequestActor } from '../common/request-context/request-actor';
import { DomainErrorCode } from '../common/errors/domain-error-code.enum';
import { DomainException } from '../common/errors/domain.exception';
import { JsonLogger } from '../common/logging/json.logger';
import { AppConfig } from '../config/app.config';
import { HttpSender } from '../delivery/http-sender.service';
import { DeliveryTarget, EXCERPT_CHARS } from '../delivery/delivery-target';
import type { HeaderList, RecordHeader } from '../delivery/kafka-headers';
import { RateGate } from '../delivery/rate-gate';
import { RateGateRegistry } from '../delivery/rate-gate.registry';
import { EtlPipeline } from '../etl/etl-pipeline';
import type { DeliveryPolicySpec } from '../model/delivery-spec';
import { RecordShaper } from '../shaping/record-shaper';
import { SubscriptionsService } from '../subscriptions/subscriptions.service';
import { recordFieldsNotKept } from './dead-letter-bounds';
import { DeadLetterEntity } from './dead-letter.entity';
import type { DeadLetterSelection } from './dead-letter-selection';
import { DeadLettersRepository } from './dead-letters.repository';
import { DeadLetterResponseDto } from './dto/dead-letter-response.dto';

/** What one re-delivery attempt did to its dead letter. */
export type RedeliveryOutcome = 'redelivered' | 'failed' | 'discarded';
type Outcome = RedeliveryOutcome;

/**
 * How a bulk run is steered (RedeliveryJob): whether it may send one more record, and where
 * each record's outcome goes as it happens.
 */
export interface BulkControl {
  /** Reserves one record; false when the run is to stop before it (cancelled, or its limit reached). */
  take(): boolean;
  /** One record's outcome; null when another request held the row or it stopped being pending. */
  settle(outcome: RedeliveryOutcome | null): void;
}

const UNBOUNDED: BulkControl = { take: () => true, settle: () => undefined };

/**
 * `control` that stays refused once it refused: a bulk pass that read "no more" (job cancelled
 * or its limit reached) stops taking rows, though rows already started still settle.
 */
function latched(control: BulkControl): { control: BulkControl; stopped: () => boolean } {
  let stopped = false;
  return {
    control: {
      take: () => {
        if (stopped || !control.take()) stopped = true;
        return !stopped;
      },
      settle: (outcome) => control.settle(outcome),
    },
    stopped: () => stopped,
  };
}

/** One attempt's result; `unprocessable` when the record cannot become a request under the current config (nothing was sent). */
interface Attempted {
  outcome: Outcome;
  status: number | null;
  error: string | null;
  excerpt: string | null;
  unprocessable?: boolean;
}

/**
 * The delivery half of the subscription's current config, compiled as live traffic compiles it
 * (CompiledSubscription in runtime/consumers; the data path, which sits below dead letters, so
 * it is not imported here). Kafka settings play no part in a re-delivery.
 */
interface CurrentDelivery {
  readonly id: number;
  readonly rateGroup: string | null;
  readonly policy: DeliveryPolicySpec;
  readonly target: DeliveryTarget;
  readonly etl: EtlPipeline;
}

const BULK_PAGE = 100;
const BULK_CONCURRENCY = 8;
const CLAIM_MARGIN_MS = 30_000;

/**
 * Sends dead letters again through the subscription's current ETL and endpoint (so a fixed
 * config or a recovered API gets them), one attempt each, within the subscription's rate limit,
 * in the shape live traffic has under that config (see liveShape). The stored transformed body
 * is not reused: it is what the ETL of the failed attempt made.
 */
@Injectable()
export class DeadLetterRedeliveryService {
  constructor(
    private readonly repository: DeadLettersRepository,
    private readonly subscriptions: SubscriptionsService,
    private readonly sender: HttpSender,
    private readonly gates: RateGateRegistry,
    private readonly config: AppConfig,
    private readonly logger: JsonLogger,
    private readonly audit: AuditLog,
  ) {}

  async redeliverOne(id: number, actor: RequestActor): Promise<DeadLetterResponseDto> {
    const row = await this.requirePending(id);
    const notKept = bytesNotKept(row);
    if (notKept) throw new DomainException(DomainErrorCode.RecordNotKept, `dead letter ${id} cannot be re-delivered: ${notKept}`);
    const sub = await this.compiled(row.subscriptionId);
    const gate = this.gateFor(sub);
    let result: Attempted | null;
    try {
      if (sub.policy.keyParking && row.key && row.reason !== 'no_value') {
        // Key order: this key's older dead letters go first, and its parked records after it.
        const results = await this.redeliverKey(sub, gate.gate, row.key);
        result = results.get(id) ?? null;
        if (!results.has(id)) {
          const [blockedBy, why] = [...results].find(([, r]) => r === null || r.outcome === 'failed') ?? [null, null];
          throw blockedBy === null
            ? new DomainException(DomainErrorCode.DeadLetterNotPending, `dead letter ${id} is being redelivered or was discarded by another request`)
            : new DomainException(
                DomainErrorCode.KeyOrderBlocked,
                `dead letter ${id} was not sent: dead letter ${blockedBy}, an earlier record with its key, ${why ? `failed again (${why.error})` : 'is being redelivered by another request'}, and delivery.keyParking keeps the key's order`,
              );
        }
      } else {
        result = await this.attempt(row, sub, gate.gate);
      }
    } finally {
      gate.done();
    }
    if (result === null)
      throw new DomainException(DomainErrorCode.DeadLetterNotPending, `dead letter ${id} is being redelivered or was discarded by another request`);
    const after = DeadLetterResponseDto.from((await this.repository.findById(id))!);
    await this.audit.record(
      {
        action: 'dead_letter.redeliver',
        resourceType: 'dead_letter',
        resourceId: id,
        before: { state: 'pending' },
        after: { state: after.state, attempts: after.attempts },
      },
      actor,
    );
    if (result.unprocessable) {
      throw new DomainException(
        DomainErrorCode.RecordUnprocessable,
        `dead letter ${id} cannot be sent under subscription ${row.subscriptionId}'s current config: ${result.error}; change the subscription's etl or discard the dead letter`,
      );
    }
    return after;
  }

  /**
   * Re-delivers a subscription's pending dead letters under `control` (one attempt each, 8 at a
   * time, each key in record order with delivery.keyParking), stopping between records once
   * control.take() says so. The run's totals are the control's to keep. Rejects when the
   * subscription no longer exists (409 SUBSCRIPTION_DELETED) or the database fails.
   */
  async redeliverBulk(subscriptionId: number, control: BulkControl): Promise<void> {
    const sub = await this.compiled(subscriptionId);
    const gate = this.gateFor(sub);
    try {
      await this.redeliverPages(sub, gate.gate, control);
    } finally {
      gate.done();
    }
  }

  /** Whether the subscription can be re-delivered for now (it exists and its config compiles); throws as redeliverBulk would. */
  async checkRedeliverable(subscriptionId: number): Promise<void> {
    await this.compiled(subscriptionId);
  }

  /**
   * Re-delivers the pending dead letters of one key in record order (partition, offset), until
   * one fails or none is left; rows parked while this runs are picked up too. Tombstone rows
   * (no_value) are left alone: they hold nothing back. With `selected` (a bulk job's selection
   * among this key's rows) it stops once the last of them was sent: older rows of the key go
   * first, as key order needs, but none after the selection. Returns each attempted row's result
   * (null: another request held it), in order.
   */
  private async redeliverKey(
    sub: CurrentDelivery,
    gate: RateGate,
    key: Buffer,
    control: BulkControl = UNBOUNDED,
    selected?: Set<number>,
  ): Promise<Map<number, Attempted | null>> {
    const results = new Map<number, Attempted | null>();
    if (selected?.size === 0) return results;
    const pass = async (ids: number[]): Promise<boolean> => {
      for (const rowId of ids) {
        const row = await this.repository.findById(rowId);
        if (!row || row.state !== 'pending') {
          selected?.delete(rowId);
          if (selected?.size === 0) return false;
          continue;
        }
        if (!control.take()) return false;
        const result = await this.attempt(row, sub, gate);
        control.settle(result?.outcome ?? null);
        results.set(rowId, result);
        if (result === null || result.outcome === 'failed') return false;
        selected?.delete(rowId);
        if (selected?.size === 0) return false;
      }
      return true;
    };
    // Most of a long backlog goes without the lock, so records of the key keep being parked meanwhile.
    for (;;) {
      const ids = await this.repository.pendingIdsOfKey(sub.id, key, BULK_PAGE);
      if (ids.length < BULK_PAGE) break;
      if (!(await pass(ids))) return results;
    }
    // The rest under the key's lock: records of the key arriving now wait for it instead of
    // being parked, so this ends, and the next record of the key finds nothing to park behind.
    await this.repository.withKeyLock(sub.id, key, async (query) => {
      for (;;) {
        const ids = await this.repository.pendingIdsOfKey(sub.id, key, BULK_PAGE, query);
        if (ids.length === 0 || !(await pass(ids))) return;
      }
    });
    return results;
  }

  private async redeliverPages(sub: CurrentDelivery, gate: RateGate, control: BulkControl): Promise<void> {
    const subscriptionId = sub.id;
    const latch = latched(control);
    const steered = latch.control;
    const keyed = sub.policy.keyParking;
    if (keyed) {
      // Each key in record order, stopping at its first failure; keys side by side.
      const keys = await this.repository.pendingKeys(subscriptionId);
      for (let i = 0; i < keys.length && !latch.stopped(); i += BULK_CONCURRENCY) {
        await Promise.all(keys.slice(i, i + BULK_CONCURRENCY).map((key) => this.redeliverKey(sub, gate, key, steered)));
      }
    }
    // Rows that fail stay pending; paging by id visits each one once.
    for (let after = 0; !latch.stopped();) {
      const ids = await this.repository.pendingIds(subscriptionId, after, BULK_PAGE, keyed);
      if (ids.length === 0) break;
      after = ids[ids.length - 1];
      for (let i = 0; i < ids.length && !latch.stopped(); i += BULK_CONCURRENCY) {
        await Promise.all(
          ids.slice(i, i + BULK_CONCURRENCY).map(async (rowId) => {
            const row = await this.repository.findById(rowId);
            if (!row || row.state !== 'pending' || !steered.take()) return;
            steered.settle((await this.attempt(row, sub, gate))?.outcome ?? null);
          }),
        );
      }
    }
  }

  /**
   * Re-delivers the pending dead letters of a selection (ids, or a filter; any subscriptions)
   * under `control`, in id order, 8 at a time, each under its subscription's current config and
   * rate gate. A row of a subscription with delivery.keyParking re-delivers its key's pending
   * dead letters in record order, as a single re-delivery does, stopping at the key's first
   * failure and after the last selected row of the key (older ones go first for key order). Rows whose subscription is gone or cannot run are left pending and settle as
   * skipped (the single re-delivery names why). Rejects only when the database fails.
   */
  async redeliverSelection(selection: DeadLetterSelection, control: BulkControl): Promise<void> {
    type Held = { sub: CurrentDelivery; gate: { gate: RateGate; done: () => void } } | null;
    // One compilation and one borrowed gate per subscription, shared by the rows read side by side.
    const subs = new Map<number, Promise<Held>>();
    const keysDone = new Set<string>();
    const subFor = (subscriptionId: number): Promise<Held> => {
      let held = subs.get(subscriptionId);
      if (!held) {
        held = this.compiled(subscriptionId).then(
          (sub) => ({ sub, gate: this.gateFor(sub) }),
          (err: unknown) => {
            if (err instanceof DomainException) return null;
            throw err;
          },
        );
        subs.set(subscriptionId, held);
      }
      return held;
    };
    const latch = latched(control);
    const steered = latch.control;
    try {
      for (let after = 0; !latch.stopped();) {
        const ids = await this.repository.pendingIdsSelected(selection, after, BULK_PAGE);
        if (ids.length === 0) break;
        after = ids[ids.length - 1];
        for (let i = 0; i < ids.length && !latch.stopped(); i += BULK_CONCURRENCY) {
          await Promise.all(
            ids.slice(i, i + BULK_CONCURRENCY).map(async (rowId) => {
              const row = await this.repository.findById(rowId);
              if (!row || row.state !== 'pending') return;
              const current = await subFor(row.subscriptionId);
              if (!current) {
                if (steered.take()) steered.settle(null);
                return;
              }
              if (current.sub.policy.keyParking && row.key && row.reason !== 'no_value') {
                const key = `${row.subscriptionId}:${row.key.toString('hex')}`;
                if (keysDone.has(key)) return;
                keysDone.add(key);
                const ofKey = await this.repository.pendingIdsSelectedOfKey(selection, row.subscriptionId, row.key);
                await this.redeliverKey(current.sub, current.gate.gate, row.key, steered, ofKey);
                return;
              }
              if (!steered.take()) return;
              steered.settle((await this.attempt(row, current.sub, current.gate.gate))?.outcome ?? null);
            }),
          );
        }
      }
    } finally {
      for (const held of await Promise.allSettled(subs.values())) if (held.status === 'fulfilled') held.value?.gate.done();
    }
  }

  /**
   * Discards the pending dead letters of a selection under `control`, a page of ids at a time,
   * leaving rows a re-delivery holds right now (they settle as skipped). Rejects only when the
   * database fails.
   */
  async discardSelection(selection: DeadLetterSelection, control: BulkControl): Promise<void> {
    for (let after = 0; ;) {
      const ids = await this.repository.pendingIdsSelected(selection, after, BULK_PAGE);
      if (ids.length === 0) return;
      after = ids[ids.length - 1];
      const taken: number[] = [];
      for (const rowId of ids) {
        if (!control.take()) break;
        taken.push(rowId);
      }
      const discarded = await this.repository.discardUnclaimed(taken);
      for (let i = 0; i < taken.length; i++) control.settle(i < discarded ? 'discarded' : null);
      if (taken.length < ids.length) return;
    }
  }

  async discardOne(id: number, actor: RequestActor): Promise<DeadLetterResponseDto> {
    await this.requirePending(id);
    await this.repository.discard({ id });
    const after = DeadLetterResponseDto.from((await this.repository.findById(id))!);
    await this.audit.record(
      { action: 'dead_letter.discard', resourceType: 'dead_letter', resourceId: id, before: { state: 'pending' }, after: { state: after.state } },
      actor,
    );
    return after;
  }

  async discardAll(subscriptionId: number, actor: RequestActor): Promise<{ discarded: number }> {
    const result = { discarded: await this.repository.discard({ subscriptionId }) };
    await this.audit.record({ action: 'dead_letter.discard_all', resourceType: 'subscription', resourceId: subscriptionId, after: result }, actor);
    return result;
  }

  /** null when another caller holds the row or it stopped being pending. */
  private async attempt(row: DeadLetterEntity, sub: CurrentDelivery, gate: RateGate): Promise<Attempted | null> {
    if (!(await this.repository.claim(Number(row.id), sub.target.timeoutMs + CLAIM_MARGIN_MS))) return null;
    const result = await this.deliver(row, sub, gate);
    const state = result.outcome === 'failed' ? 'pending' : result.outcome;
    const recorded = await this.repository.recordAttempt(Number(row.id), { state, status: result.status, error: result.error, excerpt: result.excerpt });
    return recorded ? result : null;
  }

  /** The gate the subscription's live traffic uses here (or its group's), held for this call. */
  private gateFor(sub: CurrentDelivery): { gate: RateGate; done: () => void } {
    const lent = this.gates.borrow(sub.id, sub.rateGroup, sub.policy.ratePerSec);
    return { gate: lent.gate, done: () => lent.release() };
  }

  private async deliver(row: DeadLetterEntity, sub: CurrentDelivery, gate: RateGate): Promise<Attempted> {
    const fail = (error: string, status: number | null = null, excerpt: string | null = null) => ({ outcome: 'failed' as const, status, error, excerpt });
    const unprocessable = (error: string) => ({ ...fail(error), unprocessable: true });
    const notKept = bytesNotKept(row);
    if (notKept) return unprocessable(`cannot be re-delivered: ${notKept}`);
    const etl = RecordShaper.prepare(row.value, sub.etl, this.config.maxMessageBytes);
    if (etl.kind === 'filtered') return { outcome: 'discarded', status: null, error: 'filtered out by the current filter rules', excerpt: null };
    if (etl.kind === 'reject') return unprocessable(`${etl.reason}: ${etl.error}`);
    const request = liveShape(row, sub, etl.body);
    await gate.acquire();
    const res = await this.sender.send(sub.target, request.body, request.headers);
    const verdict = sub.target.judge(res);
    if (verdict.ok && sub.policy.batchSize > 1 && sub.target.success.itemResultsPath) {
      // The one-record array is judged by its item result too, as live delivery judges it.
      const items = sub.target.success.items(res.body, 1);
      const problem = 'problem' in items ? items.problem : items.refused[0]?.problem;
      if (problem) return fail(problem, res.status, res.body?.slice(0, EXCERPT_CHARS) ?? null);
    }
    if (verdict.ok) return { outcome: 'redelivered', status: res.status, error: null, excerpt: null };
    return fail(verdict.problem, res.status || null, verdict.excerpt);
  }

  private async requirePending(id: number): Promise<DeadLetterEntity> {
    const row = await this.repository.findById(id);
    if (!row) throw DomainException.notFound(DomainErrorCode.DeadLetterNotFound, 'dead letter', id);
    if (row.state !== 'pending') {
      throw new DomainException(
        DomainErrorCode.DeadLetterNotPending,
        `dead letter ${id} is already ${row.state}; only pending ones can be redelivered or discarded`,
      );
    }
    return row;
  }

  private async compiled(subscriptionId: number): Promise<CurrentDelivery> {
    let stored;
    try {
      stored = await this.subscriptions.loadRunnable(subscriptionId);
    } catch (err) {
      if (err instanceof DomainException && err.code === DomainErrorCode.SubscriptionNotFound) {
        throw new DomainException(
          DomainErrorCode.SubscriptionDeleted,
          `subscription ${subscriptionId} no longer exists, so its dead letters cannot be redelivered; discard them instead`,
        );
      }
      throw err;
    }
    const { spec } = stored;
    return {
      id: subscriptionId,
      rateGroup: spec.endpoint.rateGroup,
      policy: spec.delivery,
      target: new DeliveryTarget(spec.endpoint),
      etl: EtlPipeline.compile(spec.etl),
    };
  }
}

/**
 * The request live traffic of the subscription's current config would send for this one record:
 * with batching on (`batchSize` > 1) a JSON array holding it, with the batch headers
 * (`x-kafka-records` naming it, an idempotency key derived from that, no key or record headers);
 * otherwise the single-record headers, key and mapped record headers under the same encoding rule.
 */
function liveShape(row: DeadLetterEntity, sub: CurrentDelivery, body: Buffer | string): { body: Buffer | string; headers: HeaderList } {
  const record = { topic: row.topic, partition: row.partition, offset: Number(row.offset), key: row.key, headers: storedHeaders(row.headers) };
  if (sub.policy.batchSize > 1) return { body: RecordShaper.batchBody([body]), headers: RecordShaper.batchHeaders(sub.target, row.topic, [record]) };
  return { body, headers: RecordShaper.headers(sub.target, record) };
}

/**
 * Why the row cannot be sent as the record came (its key, headers or value were stored
 * shortened or left out, see dead-letter-bounds.ts), or null when they are all kept.
 */
function bytesNotKept(row: DeadLetterEntity): string | null {
  const fields = recordFieldsNotKept(row.truncatedFields);
  if (fields.length === 0) return null;
  const sizes = fields.map((f) => `${f} (${row.truncatedFields![f]} bytes)`).join(', ');
  return `its ${sizes} ${fields.length > 1 ? 'were' : 'was'} not kept in full (over a column or the database's max_allowed_packet, or refused by the database), and a shortened record is never sent; replay offset ${row.offset} of partition ${row.partition} from Kafka if it is still there, or discard it`;
}

/** Record headers as the dead-letter row keeps them ([name, base64 value] pairs). */
function storedHeaders(stored: unknown): RecordHeader[] | undefined {
  if (!Array.isArray(stored)) return undefined;
  const out: RecordHeader[] = [];
  for (const pair of stored) {
    if (Array.isArray(pair) && typeof pair[0] === 'string' && typeof pair[1] === 'string') out.push({ [pair[0]]: Buffer.from(pair[1], 'base64') });
  }
  return out;
}
