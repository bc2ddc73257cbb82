import { Injectable } from '@nestjs/common';
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { JsonLogger } from '../common/logging/json.logger';
import { AppConfig } from '../config/app.config';
import { DomainErrorCode } from '../common/errors/domain-error-code.enum';
import { DomainException } from '../common/errors/domain.exception';
import { classifySqlFailure, sqlErrorName, sqlErrorSummary } from '../database/sql-failure';
import { boundDeadLetter, minimalDeadLetter, type StoredDeadLetter } from './dead-letter-bounds';
import type { DeadLetterRecord } from '../model/dead-letter-record';
import { DeadLettersRepository } from './dead-letters.repository';
import type { DeadLetterQueryInput } from './dto/dead-letter-query.schema';
import { DeadLetterResponseDto } from './dto/dead-letter-response.dto';

const PACKET_TTL_MS = 60_000;

@Injectable()
export class DeadLettersService {
  constructor(
    private readonly repository: DeadLettersRepository,
    private readonly config: AppConfig,
    private readonly logger: JsonLogger,
  ) {}

  private packet: { value: { maxAllowedPacket: number; literalBytes: number }; until: number } | null = null;

  /**
   * Durable once this resolves (the database row); the caller only then treats the record as
   * done. The row is bounded to fit (dead-letter-bounds.ts). When the database still refuses it
   * for its values (classifySqlFailure: a deterministic SQL refusal, never an outage), the record
   * is written once more as a minimal row without payload, so it still ends as a visible dead
   * letter. Rejects only when the database failed for its own sake (an outage: the caller holds
   * the record and retries) or refused even the minimal row (a schema fault an operator must fix).
   * Errors it rejects with are summarised (sqlErrorSummary) before anyone logs them.
   */
  async record(deadLetter: DeadLetterRecord): Promise<void> {
    await this.write(deadLetter);
  }

  /**
   * record() for a record of a parked key (delivery.keyParking): stored only while the key still
   * has a pending dead letter, decided under the key's lock (DeadLettersRepository.withKeyLock).
   * Resolves false, storing nothing, when the key has none left: its dead letters were
   * re-delivered, so the record is to be delivered live. Rejects as record() does.
   */
  async parkBehindKey(deadLetter: DeadLetterRecord & { key: Buffer }): Promise<boolean> {
    // Everything that needs a pool connection is done outside the lock: the lock holds one
    // connection, and waiting for a second while holding it could exhaust the pool.
    const budget = await this.budget();
    const row = boundDeadLetter(deadLetter, budget.literalBytes);
    const outcome = await this.repository.withKeyLock(deadLetter.subscriptionId, deadLetter.key, async (query) => {
      if (!(await this.repository.hasPendingOfKey(deadLetter.subscriptionId, deadLetter.key, query))) return 'released' as const;
      try {
        await this.repository.upsert(row, query);
        return 'stored' as const;
      } catch (err) {
        return { err };
      }
    });
    if (outcome === 'released') return false;
    if (outcome !== 'stored') {
      if ((await this.classify(outcome.err, row)) === 'outage') throw outcome.err;
      await this.storeMinimal(deadLetter, outcome.err);
      return true;
    }
    if (this.config.deadLetterDir) await this.appendJsonLine(this.config.deadLetterDir, row);
    return true;
  }

  private async write(deadLetter: DeadLetterRecord): Promise<void> {
    const budget = await this.budget();
    const row = boundDeadLetter(deadLetter, budget.literalBytes);
    try {
      await this.repository.upsert(row);
    } catch (err) {
      if ((await this.classify(err, row)) === 'outage') throw err;
      await this.storeMinimal(deadLetter, err);
      return;
    }
    if (this.config.deadLetterDir) await this.appendJsonLine(this.config.deadLetterDir, row);
  }

  /** Ids of the subscriptions that have pending dead letters (the list's pendingDeadLetters filter). */
  subscriptionsWithPending(): Promise<number[]> {
    return this.repository.subscriptionsWithPending();
  }

  /** The distinct keys of a subscription's pending dead letters, as bytes (for key parking). */
  pendingKeys(subscriptionId: number): Promise<Buffer[]> {
    return this.repository.pendingKeys(subscriptionId);
  }

  private async storeMinimal(r: DeadLetterRecord, refusal: unknown): Promise<void> {
    const name = sqlErrorName(refusal);
    const summary = sqlErrorSummary(refusal);
    const row = minimalDeadLetter(r, `${name}: ${summary.message}`);
    await this.repository.upsert(row);
    this.logger.warn('the database refused the dead letter; stored without its payload', {
      subscription: r.subscriptionId,
      topic: r.topic,
      partition: r.partition,
      offset: r.offset,
      reason: r.reason,
      sqlCode: summary.code,
      sqlErrno: summary.errno,
      sqlError: summary.message,
    });
    if (this.config.deadLetterDir) await this.appendJsonLine(this.config.deadLetterDir, row);
  }

  /** A lost connection counts as a refusal only if the row was over the packet limit read afresh. */
  private async classify(err: unknown, row: StoredDeadLetter) {
    if (classifySqlFailure(err) === 'refused') return 'refused';
    let fresh;
    try {
      fresh = await this.budget(true);
    } catch {
      return 'outage';
    }
    const queryBytes = fresh.maxAllowedPacket - fresh.literalBytes + row.literalBytes;
    return classifySqlFailure(err, { queryBytes, maxAllowedPacket: fresh.maxAllowedPacket });
  }

  /** The packet budget, read again at most every PACKET_TTL_MS (an operator may change it live). */
  private async budget(fresh = false): Promise<{ maxAllowedPacket: number; literalBytes: number }> {
    if (fresh || !this.packet || this.packet.until < Date.now()) {
      this.packet = { value: await this.repository.rowBudget(), until: Date.now() + PACKET_TTL_MS };
    }
    return this.packet.value;
  }

  /** A copy for log shippers and grep (the bounded row); the table stays the source of truth, so failures only log. */
  private async appendJsonLine(dir: string, r: StoredDeadLetter): Promise<void> {
    const line = JSON.stringify({
      at: new Date().toISOString(),
      subscriptionId: r.subscriptionId,
      topic: r.topic,
      partition: r.partition,
      offset: r.offset,
      key: r.key?.toString('base64') ?? null,
      headers: r.headers === null ? null : JSON.parse(r.headers),
      value: r.value?.toString('base64') ?? null,
      transformedBody: r.transformedBody,
      reason: r.reason,
      attempts: r.attempts,
      lastStatus: r.lastStatus,
      lastError: r.lastError,
      truncatedFields: r.truncated ?? {},
    });
    try {
      await mkdir(dir, { recursive: true });
      await appendFile(join(dir, `subscription-${r.subscriptionId}.jsonl`), line + '\n');
    } catch (err) {
      this.logger.warn('could not append the dead letter to its JSON-lines file', {
        subscription: r.subscriptionId,
        topic: r.topic,
        partition: r.partition,
        offset: r.offset,
        err: (err as Error).message,
      });
    }
  }

  /**
   * A page of dead letters, newest first, as excerpts (DeadLetterResponseDto.fromExcerpt: each
   * large field at most DEAD_LETTER_EXCERPT_BYTES, cut by the database). The page's JSON stays
   * within DEAD_LETTER_LIST_MAX_BYTES: rows past that are left out (at least one row is kept)
   * and `more` names the `beforeId` to continue from; null when the page is whole.
   */
  async list(query: DeadLetterQueryInput): Promise<{ rows: DeadLetterResponseDto[]; more: { beforeId: number } | null }> {
    const rows = await this.repository.findExcerpts(query, this.config.deadLetterExcerptBytes);
    const out: DeadLetterResponseDto[] = [];
    // The brackets, then each row and its comma.
    let bytes = 2;
    for (const row of rows) {
      const dto = DeadLetterResponseDto.fromExcerpt(row, this.config.deadLetterExcerptBytes);
      const size = Buffer.byteLength(JSON.stringify(dto)) + (out.length > 0 ? 1 : 0);
      if (out.length > 0 && bytes + size > this.config.deadLetterListMaxBytes) {
        return { rows: out, more: { beforeId: out[out.length - 1].id } };
      }
      out.push(dto);
      bytes += size;
    }
    return { rows: out, more: null };
  }

  /**
   * How many dead letters the list's filter matches in all (subscriptionId, topic, state, reason,
   * createdFrom, createdTo; beforeId and limit are ignored): one COUNT over the same indexes the
   * list reads, for its X-Total-Count.
   */
  count(query: DeadLetterQueryInput): Promise<number> {
    return this.repository.countMatching(query);
  }

  async get(id: number): Promise<DeadLetterResponseDto> {
    const row = await this.repository.findById(id);
    if (!row) throw DomainException.notFound(DomainErrorCode.DeadLetterNotFound, 'dead letter', id);
    return DeadLetterResponseDto.from(row);
  }
}
