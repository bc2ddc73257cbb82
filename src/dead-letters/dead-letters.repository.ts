import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, FindOptionsWhere, LessThan } from 'typeorm';
import { DeadLetterEntity } from './dead-letter.entity';
import type { DeadLetterRecord } from './dead-letter-record';

export interface DeadLetterQuery {
  subscriptionId?: number;
  state?: string;
  beforeId?: number;
  limit: number;
}

@Injectable()
export class DeadLettersRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** A record that fails again (redelivered after a crash, or replayed) updates its row instead of adding one. */
  async upsert(r: DeadLetterRecord): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO dead_letters
         (subscription_id, topic, partition_no, record_offset, record_key, record_headers, record_value, record_timestamp,
          transformed_body, reason, attempts, last_status, last_error, response_excerpt, state, first_attempt_at, last_attempt_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)
       ON DUPLICATE KEY UPDATE
         transformed_body = VALUES(transformed_body), reason = VALUES(reason), attempts = attempts + VALUES(attempts),
         last_status = VALUES(last_status), last_error = VALUES(last_error), response_excerpt = VALUES(response_excerpt),
         state = 'pending', last_attempt_at = VALUES(last_attempt_at)`,
      [
        r.subscriptionId,
        r.topic,
        r.partition,
        r.offset,
        r.key,
        r.headers ? JSON.stringify(r.headers) : null,
        r.value,
        r.timestamp,
        r.transformedBody,
        r.reason,
        r.attempts,
        r.lastStatus,
        r.lastError,
        r.responseExcerpt,
        r.firstAttemptAt,
        r.lastAttemptAt,
      ],
    );
  }

  find(q: DeadLetterQuery): Promise<DeadLetterEntity[]> {
    const where: FindOptionsWhere<DeadLetterEntity> = {};
    if (q.subscriptionId !== undefined) where.subscriptionId = q.subscriptionId;
    if (q.state !== undefined) where.state = q.state;
    if (q.beforeId !== undefined) where.id = LessThan(String(q.beforeId));
    return this.dataSource.getRepository(DeadLetterEntity).find({ where, order: { id: 'DESC' }, take: q.limit });
  }

  findById(id: number): Promise<DeadLetterEntity | null> {
    return this.dataSource.getRepository(DeadLetterEntity).findOne({ where: { id: String(id) } });
  }
}
