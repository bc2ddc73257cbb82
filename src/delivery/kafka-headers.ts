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

/** Flat [name, value, name, value, ...]: undici takes it as is, with no per-request object. */
export type HeaderList = string[];

/** The configured headers plus where the record came from, and the idempotency key. */
export function kafkaRequestHeaders(base: readonly string[], r: RecordCoordinates, forward: HeaderForwarding = []): HeaderList {
  const headers = base.slice();
  const partition = String(r.partition);
  const offset = String(r.offset);
  headers.push('x-kafka-topic', r.topic, 'x-kafka-partition', partition, 'x-kafka-offset', offset, 'idempotency-key', `${r.topic}-${partition}-${offset}`);
  const key = r.key;
  if (key !== undefined && key !== null) {
    if (typeof key === 'string') {
      if (printable(key)) headers.push('x-kafka-key', key);
      else headers.push('x-kafka-key', Buffer.from(key).toString('base64'), 'x-kafka-key-encoding', 'base64');
    } else if (printableBytes(key)) headers.push('x-kafka-key', key.toString('latin1'));
    else headers.push('x-kafka-key', key.toString('base64'), 'x-kafka-key-encoding', 'base64');
  }
  if (r.headers && r.headers.length > 0) appendRecordHeaders(headers, r.headers, forward);
  return headers;
}

/**
 * A W3C trace context on the record is continued: same trace id and flags, a new span id for
 * this hop (with its tracestate). Mapped record headers follow under their HTTP names. Values
 * that are not printable text are not forwarded, since an HTTP header cannot carry them as is.
 */
function appendRecordHeaders(out: HeaderList, list: readonly RecordHeader[], forward: HeaderForwarding): void {
  let traced = false;
  let traceState: string | undefined;
  for (const header of list) {
    for (const name in header) {
      const value = header[name];
      const lower = name.toLowerCase();
      if (lower === 'traceparent') {
        const next = traced ? undefined : continueTrace(headerText(value));
        if (next) {
          out.push('traceparent', next);
          traced = true;
        }
      } else if (lower === 'tracestate') traceState ??= headerText(value);
      else {
        for (let i = 0; i < forward.length; i++) {
          if (forward[i][0] !== name) continue;
          const text = headerText(value);
          if (text !== undefined) out.push(forward[i][1], text);
        }
      }
    }
  }
  if (traced && traceState) out.push('tracestate', traceState);
}

/** The traceparent for the next hop, or undefined when the record's is not a valid version-00 one. */
export function continueTrace(parent: string | undefined): string | undefined {
  const m = parent === undefined ? null : TRACEPARENT.exec(parent.trim());
  if (!m || m[1] !== '00' || m[2] === ZERO_TRACE || m[3] === ZERO_SPAN) return undefined;
  let span = randomBytes(8).toString('hex');
  while (span === ZERO_SPAN) span = randomBytes(8).toString('hex');
  return `00-${m[2]}-${span}-${m[4]}`;
}

function headerText(value: Buffer | string): string | undefined {
  const text = typeof value === 'string' ? value : value.toString('latin1');
  if (text.length === 0 || text.length > 8192) return undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c > 0x7e) return undefined;
  }
  return text;
}

/** One header value per list entry, for tests and logs. */
export function headerValue(list: HeaderList, name: string): string | undefined {
  for (let i = 0; i < list.length; i += 2) if (list[i] === name) return list[i + 1];
  return undefined;
}

function printable(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

function printableBytes(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}
