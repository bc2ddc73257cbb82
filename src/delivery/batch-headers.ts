import { createHash } from 'node:crypto';
import type { HeaderList, RecordCoordinates } from './kafka-headers';

/**
 * Headers of a batch POST: the topic, how many records, which records in array order as
 * partition:offset runs ("0:10-14,1:7"), and an idempotency key derived from that list, so a
 * retry of the same batch carries the same key.
 */
export function batchRequestHeaders(base: readonly string[], topic: string, records: readonly RecordCoordinates[]): HeaderList {
  const list = recordRuns(records);
  const key = `${topic}-batch-${createHash('sha256').update(list).digest('base64url').slice(0, 32)}`;
  const headers = base.slice();
  headers.push('x-kafka-topic', topic, 'x-kafka-batch-size', String(records.length), 'x-kafka-records', list, 'idempotency-key', key);
  return headers;
}

const OPEN = Buffer.from('[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']');

/** The body of a batch POST: each body is one JSON document already, so the array is their bytes joined. */
export function batchBody(bodies: ReadonlyArray<Buffer | string>): Buffer {
  const parts: Buffer[] = [OPEN];
  for (let i = 0; i < bodies.length; i++) {
    if (i > 0) parts.push(COMMA);
    const b = bodies[i];
    parts.push(typeof b === 'string' ? Buffer.from(b) : b);
  }
  parts.push(CLOSE);
  return Buffer.concat(parts);
}

/** Consecutive offsets of one partition collapse into a run. */
export function recordRuns(records: readonly RecordCoordinates[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < records.length) {
    const { partition, offset: start } = records[i];
    let end = start;
    while (i + 1 < records.length && records[i + 1].partition === partition && records[i + 1].offset === end + 1) {
      end++;
      i++;
    }
    parts.push(end === start ? `${partition}:${start}` : `${partition}:${start}-${end}`);
    i++;
  }
  return parts.join(',');
}
