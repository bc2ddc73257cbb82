/**
 * Server error numbers that refuse a statement because of the values it carries: sending the
 * same row again can never succeed. Numbers, not mysql2's code names: mysql2 names errors from
 * MySQL's list, so MariaDB's 4025 (CHECK constraint failed, e.g. JSON_VALID) arrives as
 * ER_INNODB_AUTOEXTEND_SIZE_OUT_OF_RANGE. Sources: MariaDB and MySQL server error references.
 */
const REFUSALS = new Map<number, string>([
  [1048, 'ER_BAD_NULL_ERROR'],
  [1062, 'ER_DUP_ENTRY'],
  [1118, 'ER_TOO_BIG_ROWSIZE'],
  [1153, 'ER_NET_PACKET_TOO_LARGE'],
  [1162, 'ER_TOO_LONG_STRING'],
  [1264, 'ER_WARN_DATA_OUT_OF_RANGE'],
  [1265, 'WARN_DATA_TRUNCATED'],
  [1292, 'ER_TRUNCATED_WRONG_VALUE'],
  [1300, 'ER_INVALID_CHARACTER_STRING'],
  [1301, 'ER_WARN_ALLOWED_PACKET_OVERFLOWED'],
  [1366, 'ER_TRUNCATED_WRONG_VALUE_FOR_FIELD'],
  [1367, 'ER_ILLEGAL_VALUE_FOR_TYPE'],
  [1406, 'ER_DATA_TOO_LONG'],
  [1452, 'ER_NO_REFERENCED_ROW_2'],
  [3140, 'ER_INVALID_JSON_TEXT'],
  [3819, 'ER_CHECK_CONSTRAINT_VIOLATED'],
  [4025, 'ER_CONSTRAINT_FAILED'],
]);

/** Client-side codes of a connection that failed or closed under a statement (mysql2 and Node). */
const CONNECTION_LOST = new Set(['ECONNRESET', 'EPIPE', 'PROTOCOL_CONNECTION_LOST', 'ER_NET_PACKET_TOO_LARGE']);

export type SqlFailureKind = 'refused' | 'outage';

/** What a failed statement sent, for telling a packet refusal apart from a lost connection. */
export interface SentStatement {
  /** Upper bound of the statement's size on the wire, bytes. */
  queryBytes: number;
  /** The server's max_allowed_packet (bytes) as read after the failure. */
  maxAllowedPacket: number;
}

/**
 * Whether a failed write was refused for its values (`refused`: the same row can never be
 * stored, so retrying holds the record forever) or failed for the database's own state
 * (`outage`: connection refused or lost, timeouts, lock waits, deadlocks, read-only, too many
 * connections, a missing table or column, anything unknown), which may pass and is retried.
 * A server that gets a statement over max_allowed_packet mostly just closes the connection
 * (mysql2 then reports ECONNRESET, not ER_NET_PACKET_TOO_LARGE 1153), so a lost connection
 * counts as a refusal when `sent` shows the statement was over the server's packet limit.
 */
export function classifySqlFailure(err: unknown, sent?: SentStatement): SqlFailureKind {
  const e = (err ?? {}) as { errno?: unknown; code?: unknown };
  if (typeof e.errno === 'number' && REFUSALS.has(e.errno)) return 'refused';
  if (typeof e.code === 'string' && CONNECTION_LOST.has(e.code) && sent && sent.queryBytes > sent.maxAllowedPacket) return 'refused';
  return 'outage';
}

/**
 * The quoted literal after these phrases is a value from the statement (a key, a column value).
 * The server quotes it without escaping, so the value may hold quotes of its own: it runs to the
 * last "' for key " or "' for column " of the message, else to the message's last quote.
 */
const VALUE_PHRASE = /(Duplicate entry|Incorrect [\w ]*?value:?|Truncated incorrect [\w ]*?value:?|Invalid [\w ]*?(?:string|value):?) '/i;
const VALUE_END = /' for (?:key|column) /gi;
const MESSAGE_CHARS = 300;

export interface SqlErrorSummary {
  /** mysql2's code name, or a Node socket code. */
  code?: string;
  /** The server's error number (negative for socket errors). */
  errno?: number;
  message: string;
}

/**
 * What may be logged or stored of a database error: its code, number and message, never the
 * statement or its parameters (a QueryFailedError carries both; dead-letter payloads may be
 * personal data and megabytes long). Values the server quotes in its message (ER_DUP_ENTRY's
 * key, 1366's leading bytes) are replaced by '…', and the message is cut at 300 characters.
 */
export function sqlErrorSummary(err: unknown): SqlErrorSummary {
  const e = (err ?? {}) as { errno?: unknown; code?: unknown; sqlMessage?: unknown; message?: unknown };
  const raw = typeof e.sqlMessage === 'string' ? e.sqlMessage : typeof e.message === 'string' ? e.message : String(err);
  let message = withoutQuotedValue(raw);
  if (message.length > MESSAGE_CHARS) message = message.slice(0, MESSAGE_CHARS) + '…';
  const out: SqlErrorSummary = { message };
  if (typeof e.code === 'string') out.code = e.code;
  if (typeof e.errno === 'number') out.errno = e.errno;
  return out;
}

/** `message` with the value VALUE_PHRASE introduces replaced by '…'; unchanged when there is none. */
function withoutQuotedValue(message: string): string {
  const phrase = VALUE_PHRASE.exec(message);
  if (!phrase) return message;
  const start = phrase.index + phrase[0].length;
  let end = -1;
  for (const m of message.slice(start).matchAll(VALUE_END)) end = start + m.index;
  if (end < 0) end = message.lastIndexOf("'");
  if (end < start) return message.slice(0, start) + '…';
  return message.slice(0, start) + '…' + message.slice(end);
}

/** A refused error's name, as the server's reference spells it (mysql2 misnames some, see REFUSALS). */
export function sqlErrorName(err: unknown): string {
  const e = (err ?? {}) as { errno?: unknown; code?: unknown };
  if (typeof e.errno === 'number' && REFUSALS.has(e.errno)) return `${REFUSALS.get(e.errno)} ${e.errno}`;
  if (typeof e.code === 'string') return typeof e.errno === 'number' ? `${e.code} ${e.errno}` : e.code;
  return 'unknown error';
}
