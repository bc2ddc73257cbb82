import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DeadLetterEntity } from './dead-letter.entity';
import type { DeadLetterFilter, DeadLetterSelection } from './dead-letter-selection';
import type { FetchedPrefix } from './dead-letter-excerpt';
import { cutUtf8, ROW_MARGIN_BYTES, SMALL_COLUMN_BYTES, type StoredDeadLetter } from './dead-letter-bounds';

/**
 * Record fields (column, truncated_fields key) that a second write of the same record keeps from
 * the row already stored when the new write has them shortened or left out and the stored one
 * has them whole: the digest says both are the same record, so the fuller copy wins.
 */
const RECORD_COLUMNS = [
  ['record_key', 'key'],
  ['record_headers', 'headers'],
  ['record_value', 'value'],
  ['transformed_body', 'transformedBody'],
] as const;
// In ON DUPLICATE KEY UPDATE, a column named after its own assignment reads the NEW value, so
// truncated_fields is assigned last and every condition reads the stored marks.
const keepStored = (mark: string) =>
  `(JSON_EXTRACT(VALUES(truncated_fields), '$.${mark}') IS NOT NULL AND JSON_EXTRACT(truncated_fields, '$.${mark}') IS NULL)`;
const MERGED_MARKS = RECORD_COLUMNS.reduce(
  (marks, [, mark]) => `IF(${keepStored(mark)}, JSON_REMOVE(${marks}, '$.${mark}'), ${marks})`,
  "COALESCE(VALUES(truncated_fields), '{}')",
);
const UPSERT_SQL = `INSERT INTO dead_letters
   (subscription_id, topic, partition_no, record_offset, record_digest, record_key, record_headers, record_value, record_timestamp,
    transformed_body, reason, attempts, last_status, last_error, response_excerpt, truncated_fields, state, first_attempt_at, last_attempt_at)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)
 ON DUPLICATE KEY UPDATE
   ${RECORD_COLUMNS.map(([column, mark]) => `${column} = IF(${keepStored(mark)}, ${column}, VALUES(${column}))`).join(',\n   ')},
   reason = VALUES(reason), attempts = attempts + VALUES(attempts),
   last_status = VALUES(last_status), last_error = VALUES(last_error), response_excerpt = VALUES(response_excerpt),
   state = 'pending', last_attempt_at = VALUES(last_attempt_at),
   truncated_fields = NULLIF(${MERGED_MARKS}, '{}')`;
const UPSERT_SQL_BYTES = Buffer.byteLength(UPSERT_SQL);

/** Runs one statement; on one connection when given by withKeyLock. */
export type SqlQuery = (sql: string, params?: unknown[]) => Promise<any>;
/**
 * The pending rows that hold their key back (delivery.keyParking): all but tombstones
 * (no_value), which have nothing to deliver and so nothing to keep in order behind.
 */
const PARKS_ITS_KEY = "reason <> 'no_value'";
/** How long a writer waits for a key's lock before it fails (and the caller retries), s. */
const KEY_LOCK_WAIT_S = 30;

/**
 * A dead letter as a list shows it: the small columns whole, the large ones as prefixes cut by
 * the database (SUBSTRING of BLOBs, LEFT of texts) with their stored sizes (LENGTH, bytes).
 */
export interface DeadLetterExcerptRow {
  id: number;
  subscriptionId: number;
  topic: string;
  partition: number;
  offset: number;
  key: FetchedPrefix<Buffer>;
  value: FetchedPrefix<Buffer>;
  headers: FetchedPrefix<string>;
  transformedBody: FetchedPrefix<string>;
  lastError: FetchedPrefix<string>;
  responseExcerpt: FetchedPrefix<string>;
  reason: string;
  attempts: number;
  lastStatus: number | null;
  truncatedFields: Record<string, number> | null;
  state: string;
  firstAttemptAt: Date | null;
  lastAttemptAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface DeadLetterQuery extends DeadLetterFilter {
  beforeId?: number;
  limit: number;
}

/** The WHERE conditions of a filter (and of a selection's ids), with their parameters. */
function filterSql(f: DeadLetterFilter, ids?: readonly number[]): { where: string[]; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  if (f.subscriptionId !== undefined) (where.push('subscription_id = ?'), params.push(f.subscriptionId));
  if (f.state !== undefined) (where.push('state = ?'), params.push(f.state));
  if (f.topic !== undefined) (where.push('topic = ?'), params.push(f.topic));
  if (f.reason !== undefined) (where.push('reason = ?'), params.push(f.reason));
  if (f.createdFrom !== undefined) (where.push('created_at >= ?'), params.push(f.createdFrom));
  if (f.createdTo !== undefined) (where.push('created_at < ?'), params.push(f.createdTo));
  if (ids) (where.push(`id IN (${ids.map(() => '?').join(', ') || 'NULL'})`), params.push(...ids));
  return { where, params };
}

/** A selection's pending rows as a filter (a selection by ids also only takes pending ones). */
function pendingOf(selection: DeadLetterSelection): { where: string[]; params: unknown[] } {
  return 'ids' in selection ? filterSql({ state: 'pending' }, selection.ids) : filterSql({ ...selection.filter, state: 'pending' });
}

@Injectable()
export class DeadLettersRepository {
  private readonly query: SqlQuery;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.query = (sql, params) => this.dataSource.query(sql, params);
  }

  /**
   * Runs `fn` holding a server lock named after the subscription and the record key (MariaDB
   * GET_LOCK), on one connection whose query `fn` gets. Parking a record behind its key and
   * finishing a key's re-delivery both decide under it, so a record is never parked just after
   * the key's last dead letter was re-delivered (it would wait for nobody). Rejects when the
   * lock is not had within KEY_LOCK_WAIT_S or the database fails.
   */
  async withKeyLock<T>(subscriptionId: number, key: Buffer, fn: (query: SqlQuery) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    const name = `kproxy:key:${subscriptionId}:${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
    try {
      const [row] = (await runner.query('SELECT GET_LOCK(?, ?) AS got', [name, KEY_LOCK_WAIT_S])) as Array<{ got: unknown }>;
      if (Number(row?.got) !== 1) throw new Error(`the lock of a record key of subscription ${subscriptionId} was not had within ${KEY_LOCK_WAIT_S} s`);
      try {
        return await fn((sql, params) => runner.query(sql, params));
      } finally {
        await runner.query('SELECT RELEASE_LOCK(?)', [name]).catch(() => undefined);
      }
    } finally {
      await runner.release();
    }
  }

  /** Whether the subscription has a pending dead letter with this record key. */
  async hasPendingOfKey(subscriptionId: number, key: Buffer, query: SqlQuery = this.query): Promise<boolean> {
    const rows = (await query(`SELECT 1 FROM dead_letters WHERE subscription_id = ? AND state = 'pending' AND record_key = ? AND ${PARKS_ITS_KEY} LIMIT 1`, [
      subscriptionId,
      key,
    ])) as unknown[];
    return rows.length > 0;
  }

  /**
   * Writes a bounded row (dead-letter-bounds.ts). A record that fails again (redelivered after a
   * crash, or replayed) updates its row instead of adding one; of its key, headers, value and
   * transformed body, a copy stored whole is never replaced by a shortened one (RECORD_COLUMNS),
   * and the truncation marks always describe what the row holds. A different record at the same
   * coordinates (a recreated topic, another cluster) gets its own row, told apart by the digest.
   */
  async upsert(r: StoredDeadLetter, query: SqlQuery = this.query): Promise<void> {
    await query(UPSERT_SQL, [
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
    const rows: Array<{ p: string | number }> = await this.dataSource.query('SELECT LEAST(@@session.max_allowed_packet, @@global.max_allowed_packet) AS p');
    const maxAllowedPacket = Number(rows[0].p);
    return { maxAllowedPacket, literalBytes: maxAllowedPacket - UPSERT_SQL_BYTES - ROW_MARGIN_BYTES };
  }

  /**
   * The rows of {@link find} with their large columns cut in SQL: at most `excerptBytes` + 1
   * bytes of key and value, `excerptBytes` characters of headers, transformed body, last error
   * and response excerpt, each with its stored size in bytes, so a page of rows with megabyte
   * values costs the database and the wire a few KiB per row.
   */
  async findExcerpts(q: DeadLetterQuery, excerptBytes: number): Promise<DeadLetterExcerptRow[]> {
    const { where, params } = filterSql(q);
    if (q.beforeId !== undefined) (where.push('id < ?'), params.push(q.beforeId));
    const bytes = (column: string, as: string) => `SUBSTRING(${column}, 1, ${excerptBytes + 1}) AS ${as}_x, LENGTH(${column}) AS ${as}_n`;
    const text = (column: string, as: string) => `LEFT(${column}, ${excerptBytes}) AS ${as}_x, LENGTH(${column}) AS ${as}_n`;
    const rows: Array<Record<string, any>> = await this.dataSource.query(
      `SELECT id, subscription_id, topic, partition_no, record_offset, reason, attempts, last_status, truncated_fields, state,
         first_attempt_at, last_attempt_at, created_at, updated_at,
         ${bytes('record_key', 'key')}, ${bytes('record_value', 'value')},
         ${text('CAST(record_headers AS CHAR)', 'headers')}, ${text('transformed_body', 'body')},
         ${text('last_error', 'error')}, ${text('response_excerpt', 'response')}
       FROM dead_letters${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`,
      [...params, q.limit],
    );
    const size = (n: unknown) => (n === null || n === undefined ? null : Number(n));
    const str = (v: unknown) => (v === null || v === undefined ? null : Buffer.isBuffer(v) ? v.toString('utf8') : String(v));
    return rows.map((r) => ({
      id: Number(r.id),
      subscriptionId: Number(r.subscription_id),
      topic: r.topic,
      partition: Number(r.partition_no),
      offset: Number(r.record_offset),
      key: { prefix: r.key_x === null ? null : Buffer.from(r.key_x), storedBytes: size(r.key_n) },
      value: { prefix: r.value_x === null ? null : Buffer.from(r.value_x), storedBytes: size(r.value_n) },
      headers: { prefix: str(r.headers_x), storedBytes: size(r.headers_n) },
      transformedBody: { prefix: str(r.body_x), storedBytes: size(r.body_n) },
      lastError: { prefix: str(r.error_x), storedBytes: size(r.error_n) },
      responseExcerpt: { prefix: str(r.response_x), storedBytes: size(r.response_n) },
      reason: r.reason,
      attempts: Number(r.attempts),
      lastStatus: r.last_status === null ? null : Number(r.last_status),
      truncatedFields: typeof r.truncated_fields === 'string' ? (JSON.parse(r.truncated_fields) as Record<string, number>) : (r.truncated_fields ?? null),
      state: r.state,
      firstAttemptAt: r.first_attempt_at ? new Date(r.first_attempt_at) : null,
      lastAttemptAt: r.last_attempt_at ? new Date(r.last_attempt_at) : null,
      createdAt: new Date(r.created_at),
      updatedAt: new Date(r.updated_at),
    }));
  }

  /** How many dead letters a filter matches in all, whatever their page (the list's X-Total-Count). */
  async countMatching(f: DeadLetterFilter): Promise<number> {
    const { where, params } = filterSql(f);
    const rows: Array<{ n: string | number }> = await this.dataSource.query(
      `SELECT COUNT(*) AS n FROM dead_letters${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''}`,
      params,
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** How many pending dead letters a subscription has (a bulk re-delivery's total). */
  async countPending(subscriptionId: number): Promise<number> {
    const rows: Array<{ n: string | number }> = await this.dataSource.query(
      "SELECT COUNT(*) AS n FROM dead_letters WHERE subscription_id = ? AND state = 'pending'",
      [subscriptionId],
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** How many pending dead letters a selection takes (a bulk job's total). */
  async countPendingSelected(selection: DeadLetterSelection): Promise<number> {
    const { where, params } = pendingOf(selection);
    const rows: Array<{ n: string | number }> = await this.dataSource.query(`SELECT COUNT(*) AS n FROM dead_letters WHERE ${where.join(' AND ')}`, params);
    return Number(rows[0]?.n ?? 0);
  }

  /** Pending ids of a selection after `afterId`, ascending: bulk work pages with it. */
  async pendingIdsSelected(selection: DeadLetterSelection, afterId: number, limit: number): Promise<number[]> {
    const { where, params } = pendingOf(selection);
    const rows: Array<{ id: string }> = await this.dataSource.query(`SELECT id FROM dead_letters WHERE ${where.join(' AND ')} AND id > ? ORDER BY id LIMIT ?`, [
      ...params,
      afterId,
      limit,
    ]);
    return rows.map((r) => Number(r.id));
  }

  /** Pending ids a selection takes among one key's dead letters (a bulk job stops the key after the last of them). */
  async pendingIdsSelectedOfKey(selection: DeadLetterSelection, subscriptionId: number, key: Buffer): Promise<Set<number>> {
    const { where, params } = pendingOf(selection);
    const rows: Array<{ id: string }> = await this.dataSource.query(
      `SELECT id FROM dead_letters WHERE ${where.join(' AND ')} AND subscription_id = ? AND record_key = ?`,
      [...params, subscriptionId, key],
    );
    return new Set(rows.map((r) => Number(r.id)));
  }

  /** Discards those of `ids` that are pending and not held by a re-delivery now; answers how many. */
  async discardUnclaimed(ids: readonly number[]): Promise<number> {
    if (ids.length === 0) return 0;
    const res = await this.dataSource.query(
      `UPDATE dead_letters SET state = 'discarded'
       WHERE id IN (${ids.map(() => '?').join(', ')}) AND state = 'pending' AND (claimed_until IS NULL OR claimed_until < CURRENT_TIMESTAMP(3))`,
      [...ids],
    );
    return res.affectedRows;
  }

  /** Ids of the subscriptions with at least one pending dead letter (read from the index ix_dead_letters_pending). */
  async subscriptionsWithPending(): Promise<number[]> {
    const rows: Array<{ s: string | number }> = await this.dataSource.query("SELECT DISTINCT subscription_id AS s FROM dead_letters WHERE state = 'pending'");
    return rows.map((r) => Number(r.s));
  }

  /** Pending ids of a subscription after `afterId`, ascending (only rows without a key when `keyless`): bulk work pages with it. */
  async pendingIds(subscriptionId: number, afterId: number, limit: number, keyless = false): Promise<number[]> {
    const rows: Array<{ id: string }> = await this.dataSource.query(
      `SELECT id FROM dead_letters WHERE subscription_id = ? AND state = 'pending' AND id > ?${keyless ? ' AND record_key IS NULL' : ''} ORDER BY id LIMIT ?`,
      [subscriptionId, afterId, limit],
    );
    return rows.map((r) => Number(r.id));
  }

  /** The distinct record keys of a subscription's pending dead letters (ParkedKeys). */
  async pendingKeys(subscriptionId: number): Promise<Buffer[]> {
    const rows: Array<{ k: Buffer }> = await this.dataSource.query(
      `SELECT DISTINCT record_key AS k FROM dead_letters WHERE subscription_id = ? AND state = 'pending' AND record_key IS NOT NULL AND ${PARKS_ITS_KEY}`,
      [subscriptionId],
    );
    return rows.map((r) => Buffer.from(r.k));
  }

  /** Ids of the pending dead letters of one key, oldest record first (partition, then offset). */
  async pendingIdsOfKey(subscriptionId: number, key: Buffer, limit: number, query: SqlQuery = this.query): Promise<number[]> {
    const rows: Array<{ id: string }> = await query(
      `SELECT id FROM dead_letters WHERE subscription_id = ? AND state = 'pending' AND record_key = ? AND ${PARKS_ITS_KEY} ORDER BY partition_no, record_offset LIMIT ?`,
      [subscriptionId, key, limit],
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
    const res = await this.dataSource.query(`UPDATE dead_letters SET state = 'discarded' WHERE ${column} = ? AND state = 'pending'`, [value]);
    return res.affectedRows;
  }

  findById(id: number): Promise<DeadLetterEntity | null> {
    return this.dataSource.getRepository(DeadLetterEntity).findOne({ where: { id: String(id) } });
  }
}
