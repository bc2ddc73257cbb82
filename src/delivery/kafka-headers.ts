export interface RecordCoordinates {
  topic: string;
  partition: number;
  offset: number;
  key?: Buffer | string | null;
}

/** Flat [name, value, name, value, ...]: undici takes it as is, with no per-request object. */
export type HeaderList = string[];

/** The configured headers plus where the record came from, and the idempotency key. */
export function kafkaRequestHeaders(base: readonly string[], r: RecordCoordinates): HeaderList {
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
  return headers;
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
