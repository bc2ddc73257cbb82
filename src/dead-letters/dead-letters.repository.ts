import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, FindOptionsWhere, LessThan } from 'typeorm';
import { DeadLetterEntity } from './dead-letter.entity';
import { cutUtf8, ROW_MARGIN_BYTES, SMALL_COLUMN_BYTES, type StoredDeadLetter } from './dead-letter-bounds';

const UPSERT_SQL = `INSERT INTO dead_letters
   (subscription_id, topic, partition_no, record_offset, record_digest, record_key, record_headers, record_value, record_timestamp,
    transformed_body, reason, attempts, last_status, last_error, response_excerpt, truncated_fields, state, first_attempt_at, last_attempt_at)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)
 ON DUPLICATE KEY UPDATE
   record_key = VALUES(record_key), record_headers = VALUES(record_headers), record_value = VALUES(record_value),
   transformed_body = VALUES(transformed_body), reason = VALUES(reason), attempts = attempts + VALUES(attempts),
   last_status = VALUES(last_status), last_error = VALUES(last_error), response_excerpt = VALUES(response_excerpt),
   truncated_fields = VALUES(truncated_fields), state = 'pending', last_attempt_at = VALUES(last_attempt_at)`;
const UPSERT_SQL_BYTES = Buffer.byteLength(UPSERT_SQL);

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
   * Writes a bounded row (dead-letter-bounds.ts). A record that fails again (redelivered after a
   * crash, or replayed) updates its row instead of adding one, content and truncation marks
   * together so they always describe each other; a different record at the same coordinates (a
   * recreated topic, another cluster) gets its own row, told apart by the content digest.
   */
  async upsert(r: StoredDeadLetter): Promise<void> {
    await this.dataSource.query(UPSERT_SQL, [
      r.subscriptionId,
      r.topic,
      r.partition,
      r.offset,
      r.digest,
      r.key,
      r.headers,
      r.value,
      r.timestamp,
      r.transformedBody,
      r.reason,
      r.attempts,
      r.lastStatus,
      r.lastError,
      r.responseExcerpt,
      r.truncated ? JSON.stringify(r.truncated) : null,
      r.firstAttemptAt,
      r.lastAttemptAt,
    ]);
  }

  /**
   * Bytes the variable literals of one {@link upsert} may take: the server's max_allowed_packet
   * (the lower of this connection's and the global one, which new connections get) less the SQL
   * text and ROW_MARGIN_BYTES. Also returns the packet limit itself, bytes.
   */
  async rowBudget(): Promise<{ maxAllowedPacket: number; literalBytes: number }> {
    const rows: Array<{ p: string | number }> = await this.dataSource.query(
      'SELECT LEAST(@@session.max_allowed_packet, @@global.max_allowed_packet) AS p',
    );
    const maxAllowedPacket = Number(rows[0].p);
    return { maxAllowedPacket, literalBytes: maxAllowedPacket - UPSERT_SQL_BYTES - ROW_MARGIN_BYTES };
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
    // Bounded like a new row's texts, and the truncation marks of these two fields follow them.
    const sizes: Array<[string, number]> = [];
    const bound = (field: string, text: string | null) => {
      if (text === null) return null;
      const cut = cutUtf8(text, SMALL_COLUMN_BYTES);
      if (cut !== text) sizes.push([field, Buffer.byteLength(text)]);
      return cut;
    };
    const error = bound('lastError', outcome.error);
    const excerpt = bound('responseExcerpt', outcome.excerpt);
    let marks = "JSON_REMOVE(COALESCE(truncated_fields, '{}'), '$.lastError', '$.responseExcerpt')";
    if (sizes.length > 0) marks = `JSON_SET(${marks}, ${sizes.map(([f]) => `'$.${f}', ?`).join(', ')})`;
    const res = await this.dataSource.query(
      `UPDATE dead_letters SET state = ?, attempts = attempts + 1, last_status = ?,
         last_error = ?, response_excerpt = ?, truncated_fields = NULLIF(${marks}, '{}'),
         last_attempt_at = CURRENT_TIMESTAMP(3), claimed_until = NULL
       WHERE id = ? AND state = 'pending'`,
      [outcome.state, outcome.status, error, excerpt, ...sizes.map(([, n]) => n), id],
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
