import type { DeadLetterRecord } from '../model/dead-letter-record';
import { recordDigest } from './record-digest';

/** BLOB and TEXT columns hold 65,535 bytes (record_key, last_error, response_excerpt). */
export const SMALL_COLUMN_BYTES = 65_535;
/** What is kept of a value that does not fit in one statement: enough to recognise it. */
export const VALUE_PREFIX_BYTES = 65_536;
/** Room for the statement's fixed literals (ids, numbers, dates, digest) and the protocol header. */
export const ROW_MARGIN_BYTES = 4_096;
/** The minimal row's error text (its own words plus the record's error) stays under this. */
const MINIMAL_ERROR_BYTES = 4_096;
const ELLIPSIS = '…';

/** Fields that may be stored shortened or left out; the names the API answers with. */
export type BoundedField = 'key' | 'headers' | 'value' | 'transformedBody' | 'lastError' | 'responseExcerpt';

/** Fields without which the record cannot be sent again as it came from Kafka. */
const RECORD_FIELDS: readonly BoundedField[] = ['key', 'headers', 'value'];

/**
 * Which of the record's own fields (key, headers, value) a row keeps only shortened or not at
 * all, from its `truncated_fields`; [] when the record is kept in full.
 */
export function recordFieldsNotKept(truncated: Record<string, number> | null): BoundedField[] {
  return truncated ? RECORD_FIELDS.filter((f) => truncated[f] !== undefined) : [];
}

/** A dead letter as it is written: every field within its column and the whole within one packet. */
export interface StoredDeadLetter extends Omit<DeadLetterRecord, 'headers' | 'reason'> {
  /** Of the ORIGINAL record (record-digest.ts), so a shortened row keeps the record's identity. */
  digest: Buffer;
  /** JSON text of [name, base64 value] pairs. */
  headers: string | null;
  reason: string;
  /** Original size in bytes of each field stored shortened or left out; null when all is kept. */
  truncated: Partial<Record<BoundedField, number>> | null;
  /** Upper bound of the statement's variable literals on the wire, bytes. */
  literalBytes: number;
}

/**
 * The row to write for a dead letter, bounded by design: key, error and response excerpt within
 * their 65,535-byte columns (cut at a UTF-8 character boundary, texts ending in '…'), and the
 * whole statement within `literalBudget` bytes (max_allowed_packet less the SQL text and
 * {@link ROW_MARGIN_BYTES}), counting mysql2's client-side escaping (hex for bytes, a backslash
 * per special character in strings). Space goes first to the small fields, then the value, then
 * the headers (whole pairs), then the transformed body. A value that does not fit keeps only a
 * {@link VALUE_PREFIX_BYTES} prefix (or nothing), so re-delivery must refuse it. Every field
 * shortened is named in `truncated` with its original size in bytes.
 */
export function boundDeadLetter(r: DeadLetterRecord, literalBudget: number): StoredDeadLetter {
  const truncated: Partial<Record<BoundedField, number>> = {};
  let left = literalBudget;

  const lastError = cutText(r.lastError, SMALL_COLUMN_BYTES, 'lastError', truncated) ?? '';
  left -= sqlStringBytes(lastError);
  const responseExcerpt = cutText(r.responseExcerpt, SMALL_COLUMN_BYTES, 'responseExcerpt', truncated);
  left -= sqlStringBytes(responseExcerpt);
  let key = r.key;
  if (key !== null && key.length > SMALL_COLUMN_BYTES) {
    truncated.key = key.length;
    key = key.subarray(0, utf8Boundary(key, SMALL_COLUMN_BYTES));
  }
  left -= sqlBytesBytes(key);

  // Headers and transformed body come after the value and take at least a NULL (4 bytes) each.
  let value = r.value;
  if (value !== null && sqlBytesBytes(value) > left - 8) {
    truncated.value = value.length;
    const room = Math.min(VALUE_PREFIX_BYTES, Math.floor((left - 8 - 3) / 2));
    value = room > 0 ? value.subarray(0, utf8Boundary(value, room)) : null;
  }
  left -= sqlBytesBytes(value);

  let headers: string | null = null;
  if (r.headers && r.headers.length > 0) {
    headers = JSON.stringify(r.headers);
    if (sqlStringBytes(headers) > left - 4) {
      truncated.headers = Buffer.byteLength(headers);
      headers = wholePairs(r.headers, left - 4);
    }
  }
  left -= sqlStringBytes(headers);

  const transformedBody = cutText(r.transformedBody, Number.MAX_SAFE_INTEGER, 'transformedBody', truncated, left);
  left -= sqlStringBytes(transformedBody);

  return {
    ...coordinates(r),
    key,
    headers,
    value,
    transformedBody,
    lastError,
    responseExcerpt,
    truncated: Object.keys(truncated).length > 0 ? truncated : null,
    literalBytes: literalBudget - left,
  };
}

/**
 * The row written when the database refused the bounded one: coordinates, digest, reason,
 * attempts, dates and an error text naming the refusal, no key, headers, value or bodies (each
 * present one named in `truncated` with its size). It fits any server: its literals stay under
 * 5 KiB and it has no field a column could refuse.
 * @param refusal the server's error, e.g. "ER_DATA_TOO_LONG 1406: Data too long for column ...".
 */
export function minimalDeadLetter(r: DeadLetterRecord, refusal: string): StoredDeadLetter {
  const truncated: Partial<Record<BoundedField, number>> = {};
  if (r.key !== null) truncated.key = r.key.length;
  if (r.headers && r.headers.length > 0) truncated.headers = Buffer.byteLength(JSON.stringify(r.headers));
  if (r.value !== null) truncated.value = r.value.length;
  if (r.transformedBody !== null) truncated.transformedBody = Buffer.byteLength(r.transformedBody);
  if (r.responseExcerpt !== null) truncated.responseExcerpt = Buffer.byteLength(r.responseExcerpt);
  const note = `the database refused this dead letter (${refusal}); kept without key, headers, value and bodies. Error: `;
  const lastError = cutUtf8(note + r.lastError, MINIMAL_ERROR_BYTES);
  if (lastError !== note + r.lastError) truncated.lastError = Buffer.byteLength(r.lastError);
  return {
    ...coordinates(r),
    key: null,
    headers: null,
    value: null,
    transformedBody: null,
    lastError,
    responseExcerpt: null,
    truncated: Object.keys(truncated).length > 0 ? truncated : null,
    literalBytes: sqlStringBytes(lastError),
  };
}

/** The fields every row keeps whole; the digest is taken over the original bytes. */
function coordinates(r: DeadLetterRecord) {
  return {
    subscriptionId: r.subscriptionId,
    topic: r.topic,
    partition: r.partition,
    offset: r.offset,
    digest: recordDigest(r),
    timestamp: r.timestamp,
    reason: r.reason,
    attempts: r.attempts,
    lastStatus: r.lastStatus,
    firstAttemptAt: r.firstAttemptAt,
    lastAttemptAt: r.lastAttemptAt,
  };
}

/**
 * `text` cut to at most `maxBytes` UTF-8 bytes at a character boundary, ending in '…' when cut
 * (the '…' counts towards the limit). Bytes, not characters: utf8mb4 columns count bytes.
 */
export function cutUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  const room = maxBytes - Buffer.byteLength(ELLIPSIS);
  if (room <= 0) return '';
  return bytes.subarray(0, utf8Boundary(bytes, room)).toString('utf8') + ELLIPSIS;
}

/** Where to cut `bytes` to at most `max` without splitting a UTF-8 sequence (harmless for binary). */
export function utf8Boundary(bytes: Buffer, max: number): number {
  if (bytes.length <= max) return bytes.length;
  let end = max;
  // Back over continuation bytes (10xxxxxx) to the lead byte, which starts the next character.
  for (let back = 0; back < 3 && end > 0 && (bytes[end] & 0xc0) === 0x80; back++) end--;
  return end;
}

/**
 * Bytes a string takes as a mysql2 client-side literal: its UTF-8 bytes, one backslash per
 * character sqlstring escapes (NUL, \b, \t, \n, \r, \x1a, quotes, backslash) and the two quotes.
 */
export function sqlStringBytes(s: string | null): number {
  if (s === null) return 4;
  let escaped = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0 || c === 8 || c === 9 || c === 10 || c === 13 || c === 26 || c === 34 || c === 39 || c === 92) escaped++;
  }
  return Buffer.byteLength(s) + escaped + 2;
}

/** Bytes a Buffer takes as a mysql2 literal: X'…', two hex digits a byte. */
export function sqlBytesBytes(b: Buffer | null): number {
  return b === null ? 4 : 2 * b.length + 3;
}

function cutText(
  text: string | null,
  maxBytes: number,
  field: BoundedField,
  truncated: Partial<Record<BoundedField, number>>,
  literalRoom = Infinity,
): string | null {
  if (text === null) return null;
  if (Buffer.byteLength(text) <= maxBytes && sqlStringBytes(text) <= literalRoom) return text;
  truncated[field] = Buffer.byteLength(text);
  // Within the column, then within the room left as an escaped literal (each byte at most two).
  let cut = cutUtf8(text, maxBytes);
  if (sqlStringBytes(cut) > literalRoom) cut = cutUtf8(text, Math.floor((literalRoom - 2) / 2));
  return cut === '' ? null : cut;
}

/** The longest prefix of whole header pairs whose JSON fits `room` literal bytes; null if none. */
function wholePairs(pairs: ReadonlyArray<readonly [string, string]>, room: number): string | null {
  const kept: string[] = [];
  // '[', ']' and the two quotes of the literal; each pair adds its own JSON and a comma.
  let used = 4;
  for (const pair of pairs) {
    const json = JSON.stringify(pair);
    const cost = sqlStringBytes(json) - 2 + (kept.length > 0 ? 1 : 0);
    if (used + cost > room) break;
    kept.push(json);
    used += cost;
  }
  return kept.length === 0 ? null : `[${kept.join(',')}]`;
}
