import { recordFieldsNotKept } from '../dead-letter-bounds';
import { DeadLetterEntity } from '../dead-letter.entity';

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
      state: row.state,
      firstAttemptAt: row.firstAttemptAt?.toISOString() ?? null,
      lastAttemptAt: row.lastAttemptAt?.toISOString() ?? null,
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
    });
  }
}
