import { createHash, type Hash } from 'node:crypto';

/** What identifies a record's content, in the shapes a dead letter keeps them. */
export interface DigestedRecord {
  key: Buffer | null;
  /** [name, base64 value] pairs in record order; null or [] = no headers. */
  headers: ReadonlyArray<readonly [string, string]> | null;
  value: Buffer | null;
  /** Record timestamp in ms since the epoch. */
  timestamp: number | null;
}

/**
 * SHA-256 (32 bytes) of the record's key, headers (names and value bytes, in order), value and
 * timestamp. Part of a dead letter's identity with (subscription, topic, partition, offset): a
 * topic deleted and recreated, or `kafka.brokers` pointed at another cluster, reuses offsets, and
 * the digest keeps a different record off the old row, while the same record failing again
 * (a crash repeat, a replay) finds its row. Each part is length-prefixed and absent differs from
 * empty, so no two different records share an encoding. Stored digests are never recomputed:
 * changing this encoding would split a record from its existing row.
 */
export function recordDigest(r: DigestedRecord): Buffer {
  const hash = createHash('sha256');
  bytes(hash, r.key);
  const headers = r.headers ?? [];
  hash.update(uint32(headers.length));
  for (const [name, value] of headers) {
    bytes(hash, Buffer.from(name, 'utf8'));
    bytes(hash, Buffer.from(value, 'base64'));
  }
  bytes(hash, r.value);
  if (r.timestamp === null) hash.update(ABSENT);
  else {
    const ts = Buffer.alloc(9);
    ts[0] = 1;
    ts.writeBigInt64BE(BigInt(Math.trunc(r.timestamp)), 1);
    hash.update(ts);
  }
  return hash.digest();
}

const ABSENT = Buffer.from([0]);

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function bytes(hash: Hash, b: Buffer | null): void {
  if (b === null) {
    hash.update(ABSENT);
    return;
  }
  const head = Buffer.alloc(5);
  head[0] = 1;
  head.writeUInt32BE(b.length, 1);
  hash.update(head).update(b);
}
