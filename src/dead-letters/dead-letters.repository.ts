import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, FindOptionsWhere, LessThan } from 'typeorm';
import { DeadLetterEntity } from './dead-letter.entity';
import type { DeadLetterRecord } from './dead-letter-record';
import { recordDigest } from './record-digest';

export interface DeadLetterQuery {
  subscriptionId?: number;
  topic?: string;
  state?: string;
  beforeId?: number;
  limit: number;
}

@Injectable()
export class DeadLettersRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * A record that fails again (redelivered after a crash, or replayed) updates its row instead of
   * adding one; a different record at the same coordinates (a recreated topic, another cluster)
   * gets its own row, told apart by the content digest (record-digest.ts).
   */
  async upsert(r: DeadLetterRecord): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO dead_letters
         (subscription_id, topic, partition_no, record_offset, record_digest, record_key, record_headers, record_value, record_timestamp,
          transformed_body, reason, attempts, last_status, last_error, response_excerpt, state, first_attempt_at, last_attempt_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)
       ON DUPLICATE KEY UPDATE
         transformed_body = VALUES(transformed_body), reason = VALUES(reason), attempts = attempts + VALUES(attempts),
         last_status = VALUES(last_status), last_error = VALUES(last_error), response_excerpt = VALUES(response_excerpt),
         state = 'pending', last_attempt_at = VALUES(last_attempt_at)`,
      [
        r.subscriptionId,
        r.topic,
        r.partition,
        r.offset,
        recordDigest(r),
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
    if (q.topic !== undefined) where.topic = q.topic;
    if (q.beforeId !== undefined) where.id = LessThan(String(q.beforeId));
    return this.dataSource.getRepository(DeadLetterEntity).find({ where, order: { id: 'DESC' }, take: q.limit });
  }

  /** Pending ids of a subscription after `afterId`, ascending: bulk work pages with it. */
  async pendingIds(subscriptionId: number, afterId: number, limit: number): Promise<number[]> {
    const rows: Array<{ id: string }> = await this.dataSource.query(
      "SELECT id FROM dead_letters WHERE subscription_id = ? AND state = 'pending' AND id > ? ORDER BY id LIMIT ?",
      [subscriptionId, afterId, limit],
    );
    return rows.map((r) => Number(r.id));
  }

  /** Claims a pending row for one re-delivery; false when it is not pending or someone holds it. */
  async claim(id: number, forMs: number): Promise<boolean> {
    const res = await this.dataSource.query(
      `UPDATE dead_letters SET claimed_until = CURRENT_TIMESTAMP(3) + INTERVAL ? MICROSECOND
       WHERE id = ? AND state = 'pending' AND (claimed_until IS NULL OR claimed_until < CURRENT_TIMESTAMP(3))`,
      [forMs * 1000, id],
    );
    return res.affectedRows === 1;
  }

  /** Records one re-delivery attempt and drops the claim; only a pending row changes (a concurrent discard wins). */
  async recordAttempt(
    id: number,
    outcome: { state: 'pending' | 'redelivered' | 'discarded'; status: number | null; error: string | null; excerpt: string | null },
  ): Promise<boolean> {
    const res = await this.dataSource.query(
      `UPDATE dead_letters SET state = ?, attempts = attempts + 1, last_status = ?,
         last_error = ?, response_excerpt = ?, last_attempt_at = CURRENT_TIMESTAMP(3), claimed_until = NULL
       WHERE id = ? AND state = 'pending'`,
      [outcome.state, outcome.status, outcome.error, outcome.excerpt, id],
    );
    return res.affectedRows === 1;
  }

  async discard(where: { id: number } | { subscriptionId: number }): Promise<number> {
    const [column, value] = 'id' in where ? ['id', where.id] : ['subscription_id', where.subscriptionId];
    const res = await this.dataSource.query(
      `UPDATE dead_letters SET state = 'discarded' WHERE ${column} = ? AND state = 'pending'`,
      [value],
    );
    return res.affectedRows;
  }

  findById(id: number): Promise<DeadLetterEntity | null> {
    return this.dataSource.getRepository(DeadLetterEntity).findOne({ where: { id: String(id) } });
  }
}
