import { randomBytes } from 'node:crypto';

/** One Kafka record header as the client hands it over. */
export type RecordHeader = Record<string, Buffer | string>;

export interface RecordCoordinates {
  topic: string;
  partition: number;
  offset: number;
  key?: Buffer | string | null;
  headers?: RecordHeader[];
}

/** Record header name and the lower-case HTTP header name it is forwarded as. */
export type HeaderForwarding = ReadonlyArray<readonly [string, string]>;

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/** Longest forwarded header value, as sent (after base64): keeps requests under common server header limits. */
export const MAX_FORWARDED_VALUE = 8192;

/** Lists the forwarded HTTP headers (lower-case, comma-separated) whose values are base64. */
export const BASE64_HEADERS = 'x-kafka-base64-headers';
/** Lists the forwarded HTTP headers whose values were too long to send (MAX_FORWARDED_VALUE). */
export const OMITTED_HEADERS = 'x-kafka-omitted-headers';

/** Flat [name, value, name, value, ...]: undici takes it as is, with no per-request object. */
export type HeaderList = string[];

/**
 * The configured headers plus where the record came from, and the idempotency key.
 *
 * The key travels byte for byte: as is when {@link sendsAsIs} holds, otherwise as base64 of its
 * bytes with `x-kafka-key-encoding: base64` (an empty key is the empty base64 string, so it
 * stays distinct from no key, which sends no `x-kafka-key`). Mapped record headers follow the
 * same rule (see appendRecordHeaders).
 */
export function kafkaRequestHeaders(base: readonly string[], r: RecordCoordinates, forward: HeaderForwarding = []): HeaderList {
  const headers = base.slice();
  const partition = String(r.partition);
  const offset = String(r.offset);
  headers.push('x-kafka-topic', r.topic, 'x-kafka-partition', partition, 'x-kafka-offset', offset, 'idempotency-key', `${r.topic}-${partition}-${offset}`);
  const key = r.key;
  if (key !== undefined && key !== null) {
    if (sendsAsIs(key)) headers.push('x-kafka-key', typeof key === 'string' ? key : key.toString('latin1'));
    else headers.push('x-kafka-key', base64(key), 'x-kafka-key-encoding', 'base64');
  }
  if (r.headers && r.headers.length > 0) appendRecordHeaders(headers, r.headers, forward);
  return headers;
}

/**
 * True when the value can be an HTTP field value that arrives unchanged: one or more bytes of
 * visible ASCII, spaces and tabs only inside (RFC 9110 §5.5 field-content without obs-text;
 * receivers strip leading and trailing whitespace, and CR, LF, NUL and other controls are not
 * allowed). Bytes 0x80-0xFF are excluded too: Node and undici read and write them as latin1,
 * so the endpoint could not tell which text they were. A string is judged by its UTF-16 units.
 */
export function sendsAsIs(v: Buffer | string): boolean {
  const n = v.length;
  if (n === 0) return false;
  const text = typeof v === 'string';
  for (let i = 0; i < n; i++) {
    const c = text ? v.charCodeAt(i) : v[i];
    if (c > 0x7e || (c < 0x20 && c !== 0x09)) return false;
  }
  return visible(text ? v.charCodeAt(0) : v[0]) && visible(text ? v.charCodeAt(n - 1) : v[n - 1]);
}

const visible = (c: number): boolean => c > 0x20 && c < 0x7f;

/** Base64 of the bytes (a string counts as its UTF-8 bytes). */
function base64(v: Buffer | string): string {
  return (typeof v === 'string' ? Buffer.from(v) : v).toString('base64');
}

/**
 * A W3C trace context on the record is continued: same trace id and flags, a new span id for
 * this hop (with its tracestate when that is sendable as is). Mapped record headers follow under
 * their HTTP names, each value as is when {@link sendsAsIs} holds and otherwise as base64, with
 * the HTTP name listed in `x-kafka-base64-headers`. A mapped header the record carries more than
 * once is sent once per occurrence, all in base64: the endpoint sees them joined by ", " (RFC
 * 9110 §5.3) and base64 has no comma, so splitting recovers each value. A value longer than
 * MAX_FORWARDED_VALUE as sent is left out and its HTTP name listed in `x-kafka-omitted-headers`.
 */
function appendRecordHeaders(out: HeaderList, list: readonly RecordHeader[], forward: HeaderForwarding): void {
  let traced = false;
  let traceState: string | undefined;
  // Flat [httpName, value, ...]: no tuple per match on the per-record path.
  let found: Array<string | Buffer> | undefined;
  for (const header of list) {
    for (const name in header) {
      const value = header[name];
      const lower = name.toLowerCase();
      if (lower === 'traceparent') {
        const next = traced ? undefined : continueTrace(typeof value === 'string' ? value : value.toString('latin1'));
        if (next) {
          out.push('traceparent', next);
          traced = true;
        }
      } else if (lower === 'tracestate') {
        if (traceState === undefined && value.length <= MAX_FORWARDED_VALUE && sendsAsIs(value))
          traceState = typeof value === 'string' ? value : value.toString('latin1');
      } else {
        for (let i = 0; i < forward.length; i++) if (forward[i][0] === name) (found ??= []).push(forward[i][1], value);
      }
    }
  }
  if (traced && traceState) out.push('tracestate', traceState);
  if (found) appendForwarded(out, found);
}

function appendForwarded(out: HeaderList, found: ReadonlyArray<string | Buffer>): void {
  let encoded: string[] | undefined;
  let omitted: string[] | undefined;
  for (let i = 0; i < found.length; i += 2) {
    const http = found[i] as string;
    const value = found[i + 1];
    let repeated = false;
    for (let j = 0; j < found.length; j += 2) if (j !== i && found[j] === http) repeated = true;
    const asIs = !repeated && sendsAsIs(value);
    const text = asIs ? (typeof value === 'string' ? value : value.toString('latin1')) : base64(value);
    if (text.length > MAX_FORWARDED_VALUE) {
      if (!omitted?.includes(http)) (omitted ??= []).push(http);
      continue;
    }
    out.push(http, text);
    if (!asIs && !encoded?.includes(http)) (encoded ??= []).push(http);
  }
  if (encoded) out.push(BASE64_HEADERS, encoded.join(', '));
  if (omitted) out.push(OMITTED_HEADERS, omitted.join(', '));
}

/** The traceparent for the next hop, or undefined when the record's is not a valid version-00 one. */
export function continueTrace(parent: string | undefined): string | undefined {
  const m = parent === undefined ? null : TRACEPARENT.exec(parent.trim());
  if (!m || m[1] !== '00' || m[2] === ZERO_TRACE || m[3] === ZERO_SPAN) return undefined;
  let span = randomBytes(8).toString('hex');
  while (span === ZERO_SPAN) span = randomBytes(8).toString('hex');
  return `00-${m[2]}-${span}-${m[4]}`;
}

/** One header value per list entry, for tests and logs. */
export function headerValue(list: HeaderList, name: string): string | undefined {
  for (let i = 0; i < list.length; i += 2) if (list[i] === name) return list[i + 1];
  return undefined;
}
