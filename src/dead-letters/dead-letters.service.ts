import { Injectable } from '@nestjs/common';
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { JsonLogger } from '../common/logging/json.logger';
import { AppConfig } from '../config/app.config';
import { DomainException } from '../common/errors/domain.exception';
import type { DeadLetterRecord } from './dead-letter-record';
import { DeadLettersRepository } from './dead-letters.repository';
import type { DeadLetterQueryInput } from './dto/dead-letter-query.schema';
import { DeadLetterResponseDto } from './dto/dead-letter-response.dto';

@Injectable()
export class DeadLettersService {
  constructor(
    private readonly repository: DeadLettersRepository,
    private readonly config: AppConfig,
    private readonly logger: JsonLogger,
  ) {}

  /** Durable once this resolves (the database row); the caller only then treats the record as done. */
  async record(deadLetter: DeadLetterRecord): Promise<void> {
    await this.repository.upsert(deadLetter);
    if (this.config.deadLetterDir) await this.appendJsonLine(this.config.deadLetterDir, deadLetter);
  }

  /** A copy for log shippers and grep; the table stays the source of truth, so failures only log. */
  private async appendJsonLine(dir: string, r: DeadLetterRecord): Promise<void> {
    const line = JSON.stringify({
      at: new Date().toISOString(),
      subscriptionId: r.subscriptionId,
      topic: r.topic,
      partition: r.partition,
      offset: r.offset,
      key: r.key?.toString('base64') ?? null,
      headers: r.headers,
      value: r.value?.toString('base64') ?? null,
      transformedBody: r.transformedBody,
      reason: r.reason,
      attempts: r.attempts,
      lastStatus: r.lastStatus,
      lastError: r.lastError,
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

  async list(query: DeadLetterQueryInput): Promise<DeadLetterResponseDto[]> {
    return (await this.repository.find(query)).map((row) => DeadLetterResponseDto.from(row));
  }

  async get(id: number): Promise<DeadLetterResponseDto> {
    const row = await this.repository.findById(id);
    if (!row) throw DomainException.notFound('dead letter', id);
    return DeadLetterResponseDto.from(row);
  }
}
