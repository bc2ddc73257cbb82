const PRINTABLE = /^[\x20-\x7e]*$/;

export interface RecordCoordinates {
  topic: string;
  partition: number;
  offset: number;
  key?: Buffer | string | null;
}

/** The configured headers plus where the record came from, and the idempotency key. */
export function kafkaRequestHeaders(base: Readonly<Record<string, string>>, r: RecordCoordinates): Record<string, string> {
  const headers: Record<string, string> = { ...base };
  const partition = String(r.partition);
  const offset = String(r.offset);
  headers['x-kafka-topic'] = r.topic;
  headers['x-kafka-partition'] = partition;
  headers['x-kafka-offset'] = offset;
  headers['idempotency-key'] = `${r.topic}-${partition}-${offset}`;
  if (r.key !== undefined && r.key !== null) {
    const key = typeof r.key === 'string' ? r.key : r.key.toString('utf8');
    if (PRINTABLE.test(key)) headers['x-kafka-key'] = key;
    else {
      headers['x-kafka-key'] = Buffer.from(r.key).toString('base64');
      headers['x-kafka-key-encoding'] = 'base64';
    }
  }
  return headers;
}
