import { Injectable } from '@nestjs/common';
import { DomainException } from '../common/errors/domain.exception';
import type { DeadLetterRecord } from './dead-letter-record';
import { DeadLettersRepository } from './dead-letters.repository';
import type { DeadLetterQueryInput } from './dto/dead-letter-query.schema';
import { DeadLetterResponseDto } from './dto/dead-letter-response.dto';

@Injectable()
export class DeadLettersService {
  constructor(private readonly repository: DeadLettersRepository) {}

  /** Durable once this resolves; the caller only then treats the record as done. */
  record(deadLetter: DeadLetterRecord): Promise<void> {
    return this.repository.upsert(deadLetter);
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
