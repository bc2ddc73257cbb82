import { format } from 'mysql2';
import {
  boundDeadLetter,
  cutUtf8,
  minimalDeadLetter,
  recordFieldsNotKept,
  SMALL_COLUMN_BYTES,
  sqlBytesBytes,
  sqlStringBytes,
  VALUE_PREFIX_BYTES,
} from './dead-letter-bounds';
import type { DeadLetterRecord } from '../model/dead-letter-record';
import { DeadLetterReason } from '../model/dead-letter-reason.enum';
import { recordDigest } from './record-digest';

const MiB = 1024 * 1024;
const base: DeadLetterRecord = {
  subscriptionId: 1,
  topic: 't',
  partition: 0,
  offset: 7,
  key: Buffer.from('k'),
  headers: [['h', Buffer.from('v').toString('base64')]],
  value: Buffer.from('{"n":1}'),
  timestamp: 1_700_000_000_000,
  transformedBody: '{"n":1}',
  reason: DeadLetterReason.Rejected,
  attempts: 1,
  lastStatus: 400,
  lastError: 'HTTP status 400 is not a success status',
  responseExcerpt: 'bad',
  firstAttemptAt: null,
  lastAttemptAt: null,
};
const isWholeUtf8 = (s: string) => !s.includes('\uFFFD') && Buffer.from(Buffer.from(s).toString('utf8')).equals(Buffer.from(s));

describe('boundDeadLetter', () => {
  it('keeps a record that fits in full, with the digest of its bytes', () => {
    const row = boundDeadLetter(base, 16 * MiB);
    expect(row).toMatchObject({
      key: base.key,
      value: base.value,
      headers: JSON.stringify(base.headers),
      transformedBody: base.transformedBody,
      truncated: null,
    });
    expect(row.digest).toEqual(recordDigest(base));
  });

  it('cuts a 70,000-byte key to the BLOB column and keeps the digest of the original', () => {
    const key = Buffer.alloc(70_000, 0x61);
    const row = boundDeadLetter({ ...base, key }, 16 * MiB);
    expect(row.key).toHaveLength(SMALL_COLUMN_BYTES);
    expect(row.truncated).toEqual({ key: 70_000 });
    expect(row.digest).toEqual(recordDigest({ ...base, key }));
    expect(row.value).toEqual(base.value);
  });

  it.each([
    ['2-byte', 'é', 40_000],
    ['3-byte', '名', 30_000],
    ['4-byte', '😀', 20_000],
  ])('cuts %s text over TEXT (65,535 bytes) at a character boundary', (_n, ch, count) => {
    const long = ch.repeat(count);
    const row = boundDeadLetter({ ...base, lastError: long, responseExcerpt: 'x' + long }, 16 * MiB);
    for (const [field, text] of [
      ['lastError', row.lastError],
      ['responseExcerpt', row.responseExcerpt!],
    ] as const) {
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(SMALL_COLUMN_BYTES);
      expect(Buffer.byteLength(text)).toBeGreaterThan(SMALL_COLUMN_BYTES - 8);
      expect(text.endsWith('…')).toBe(true);
      expect(isWholeUtf8(text)).toBe(true);
      expect(row.truncated![field]).toBe(Buffer.byteLength(field === 'lastError' ? long : 'x' + long));
    }
  });

  it('keeps a value within the packet in full, and only a prefix of one over it', () => {
    const fits = Buffer.alloc(4 * MiB, 0x31);
    expect(boundDeadLetter({ ...base, value: fits }, 16 * MiB).value).toBe(fits);
    // Client-side escaping sends bytes as hex: an 8.5 MiB value takes 17 MiB of statement.
    const over = Buffer.alloc(8.5 * MiB, 0x31);
    const row = boundDeadLetter({ ...base, value: over }, 16 * MiB);
    expect(row.value).toHaveLength(VALUE_PREFIX_BYTES);
    expect(row.truncated).toMatchObject({ value: over.length });
    expect(row.digest).toEqual(recordDigest({ ...base, value: over }));
    expect(row.literalBytes).toBeLessThanOrEqual(16 * MiB);
  });

  it('keeps a shorter prefix, or no value at all, when room is short', () => {
    const short = boundDeadLetter({ ...base, value: Buffer.alloc(100_000) }, 2_000);
    expect(short.value!.length).toBeGreaterThan(500);
    expect(short.literalBytes).toBeLessThanOrEqual(2_000);
    const none = boundDeadLetter({ ...base, value: Buffer.alloc(100_000) }, 50);
    expect(none.value).toBeNull();
    expect(none.truncated).toMatchObject({ value: 100_000 });
  });

  it('keeps whole header pairs that fit, as valid JSON', () => {
    const headers: Array<[string, string]> = Array.from({ length: 2_000 }, (_, i) => [`h${i}`, Buffer.alloc(1_000, i).toString('base64')]);
    const budget = 1 * MiB;
    const row = boundDeadLetter({ ...base, headers }, budget);
    const kept = JSON.parse(row.headers!) as Array<[string, string]>;
    expect(kept.length).toBeGreaterThan(100);
    expect(kept.length).toBeLessThan(headers.length);
    expect(kept).toEqual(headers.slice(0, kept.length));
    expect(row.truncated).toMatchObject({ headers: Buffer.byteLength(JSON.stringify(headers)) });
    expect(row.literalBytes).toBeLessThanOrEqual(budget);
  });

  it('cuts the transformed body to what is left, counting escapes', () => {
    const body = '"\\'.repeat(600_000);
    const budget = 1 * MiB;
    const row = boundDeadLetter({ ...base, transformedBody: body }, budget);
    expect(row.truncated).toMatchObject({ transformedBody: 1_200_000 });
    expect(row.literalBytes).toBeLessThanOrEqual(budget);
    expect(row.transformedBody!.length).toBeGreaterThan(100_000);
  });
});

describe('minimalDeadLetter', () => {
  it('keeps coordinates, digest and sizes, names the refusal, and carries no payload', () => {
    const r = { ...base, key: Buffer.alloc(70_000), value: Buffer.alloc(3 * MiB), lastError: 'é'.repeat(50_000) };
    const row = minimalDeadLetter(r, "ER_DATA_TOO_LONG 1406: Data too long for column 'record_key' at row 1");
    expect(row).toMatchObject({
      subscriptionId: 1,
      topic: 't',
      partition: 0,
      offset: 7,
      key: null,
      headers: null,
      value: null,
      transformedBody: null,
      responseExcerpt: null,
    });
    expect(row.digest).toEqual(recordDigest(r));
    expect(row.lastError).toContain('ER_DATA_TOO_LONG 1406');
    expect(Buffer.byteLength(row.lastError)).toBeLessThanOrEqual(4_096);
    expect(row.truncated).toEqual({
      key: 70_000,
      headers: Buffer.byteLength(JSON.stringify(base.headers)),
      value: 3 * MiB,
      transformedBody: 7,
      responseExcerpt: 3,
      lastError: 100_000,
    });
    expect(row.literalBytes).toBeLessThan(5_000);
  });
});

describe('byte helpers', () => {
  it('counts literals exactly as mysql2 escapes them', () => {
    for (const s of ['plain', 'é名😀', `quote ' dq " bs \\ nul \0 nl \n cr \r tab \t bs \b sub \x1a`]) {
      expect(sqlStringBytes(s)).toBe(Buffer.byteLength(format('?', [s])));
    }
    const b = Buffer.from([0, 1, 0xff]);
    expect(sqlBytesBytes(b)).toBe(Buffer.byteLength(format('?', [b])));
    expect(sqlStringBytes(null)).toBe(Buffer.byteLength(format('?', [null])));
  });

  it('cuts at a character boundary and marks the cut', () => {
    expect(cutUtf8('abc', 3)).toBe('abc');
    expect(cutUtf8('ééé', 5)).toBe('é…');
    expect(cutUtf8('ééé', 4)).toBe('…');
    expect(cutUtf8('aéé', 4)).toBe('a…');
    expect(cutUtf8('😀😀😀', 10)).toBe('😀…');
  });

  it('names the record fields a row does not keep in full', () => {
    expect(recordFieldsNotKept(null)).toEqual([]);
    expect(recordFieldsNotKept({ lastError: 90_000 })).toEqual([]);
    expect(recordFieldsNotKept({ value: 17_000_000, lastError: 1 })).toEqual(['value']);
  });
});
