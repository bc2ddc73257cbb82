import { recordFieldsNotKept } from '../dead-letter-bounds';
import { DeadLetterEntity } from '../dead-letter.entity';
import { bytesExcerpt, headersExcerpt, textExcerpt } from '../dead-letter-excerpt';
import type { DeadLetterExcerptRow } from '../dead-letters.repository';

/** Bytes as text when they are UTF-8, otherwise base64 with the encoding named beside them. */
function text(bytes: Buffer | null): { text: string | null; encoding: 'utf8' | 'base64' } {
  if (bytes === null) return { text: null, encoding: 'utf8' };
  const decoded = bytes.toString('utf8');
  return Buffer.byteLength(decoded) === bytes.length && !decoded.includes('\uFFFD')
    ? { text: decoded, encoding: 'utf8' }
    : { text: bytes.toString('base64'), encoding: 'base64' };
}

export class DeadLetterResponseDto {
  id: number;
  subscriptionId: number;
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  keyEncoding: 'utf8' | 'base64';
  value: string | null;
  valueEncoding: 'utf8' | 'base64';
  headers: unknown;
  transformedBody: string | null;
  reason: string;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  responseExcerpt: string | null;
  /**
   * Fields stored shortened or left out, each with its original size in bytes (key, headers,
   * value, transformedBody, lastError, responseExcerpt); {} when everything is kept in full.
   */
  truncatedFields: Record<string, number>;
  /** Size of the record's key and value in bytes as they came from Kafka (null: none). */
  keyBytes: number | null;
  valueBytes: number | null;
  /**
   * Fields this answer shows only in part — a list shows each of key, value, headers,
   * transformedBody, lastError and responseExcerpt as at most DEAD_LETTER_EXCERPT_BYTES (a
   * byte-exact prefix cut at a UTF-8 boundary; headers as whole pairs) — each with its full
   * stored size in bytes; {} when the answer is whole (always on GET /api/dead-letters/:id).
   */
  excerptedFields: Record<string, number>;
  /** Whether any field is an excerpt (excerptedFields is not empty): read the single-item route for all of it. */
  excerpted: boolean;
  /** Whether key, headers and value are kept in full, so the record can be re-delivered as it came. */
  recordKept: boolean;
  state: string;
  firstAttemptAt: string | null;
  lastAttemptAt: string | null;
  createdAt: string;
  updatedAt: string;

  static from(row: DeadLetterEntity): DeadLetterResponseDto {
    const key = text(row.key);
    const value = text(row.value);
    const truncatedFields = row.truncatedFields ?? {};
    return Object.assign(new DeadLetterResponseDto(), {
      id: Number(row.id),
      subscriptionId: row.subscriptionId,
      topic: row.topic,
      partition: row.partition,
      offset: Number(row.offset),
      key: key.text,
      keyEncoding: key.encoding,
      value: value.text,
      valueEncoding: value.encoding,
      headers: row.headers ?? [],
      transformedBody: row.transformedBody,
      reason: row.reason,
      attempts: row.attempts,
      lastStatus: row.lastStatus,
      lastError: row.lastError,
      responseExcerpt: row.responseExcerpt,
      truncatedFields,
      keyBytes: truncatedFields.key ?? row.key?.length ?? null,
      valueBytes: truncatedFields.value ?? row.value?.length ?? null,
      recordKept: recordFieldsNotKept(row.truncatedFields).length === 0,
      excerptedFields: {},
      excerpted: false,
      state: row.state,
      firstAttemptAt: row.firstAttemptAt?.toISOString() ?? null,
      lastAttemptAt: row.lastAttemptAt?.toISOString() ?? null,
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
    });
  }

  /**
   * A list row: the same fields as {@link from}, the large ones as excerpts of at most
   * `maxBytes` bytes each (of the raw bytes for key and value, before any base64), named in
   * `excerptedFields` with their stored sizes.
   */
  static fromExcerpt(row: DeadLetterExcerptRow, maxBytes: number): DeadLetterResponseDto {
    const excerptedFields: Record<string, number> = {};
    const mark = <T>(field: string, stored: { storedBytes: number | null }, e: { value: T | null; cut: boolean }): T | null => {
      if (e.cut) excerptedFields[field] = stored.storedBytes ?? 0;
      return e.value;
    };
    const keyBytes = mark('key', row.key, bytesExcerpt(row.key, maxBytes));
    const valueBytes = mark('value', row.value, bytesExcerpt(row.value, maxBytes));
    const key = text(keyBytes);
    const value = text(valueBytes);
    const truncatedFields = row.truncatedFields ?? {};
    return Object.assign(new DeadLetterResponseDto(), {
      id: row.id,
      subscriptionId: row.subscriptionId,
      topic: row.topic,
      partition: row.partition,
      offset: row.offset,
      key: key.text,
      keyEncoding: key.encoding,
      value: value.text,
      valueEncoding: value.encoding,
      headers: mark('headers', row.headers, headersExcerpt(row.headers, maxBytes)) ?? [],
      transformedBody: mark('transformedBody', row.transformedBody, textExcerpt(row.transformedBody, maxBytes)),
      reason: row.reason,
      attempts: row.attempts,
      lastStatus: row.lastStatus,
      lastError: mark('lastError', row.lastError, textExcerpt(row.lastError, maxBytes)),
      responseExcerpt: mark('responseExcerpt', row.responseExcerpt, textExcerpt(row.responseExcerpt, maxBytes)),
      truncatedFields,
      keyBytes: truncatedFields.key ?? row.key.storedBytes,
      valueBytes: truncatedFields.value ?? row.value.storedBytes,
      recordKept: recordFieldsNotKept(row.truncatedFields).length === 0,
      excerptedFields,
      excerpted: Object.keys(excerptedFields).length > 0,
      state: row.state,
      firstAttemptAt: row.firstAttemptAt?.toISOString() ?? null,
      lastAttemptAt: row.lastAttemptAt?.toISOString() ?? null,
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
    });
  }
}
