import { bytesExcerpt, headersExcerpt, textExcerpt } from './dead-letter-excerpt';
import { DeadLetterResponseDto } from './dto/dead-letter-response.dto';
import type { DeadLetterExcerptRow } from './dead-letters.repository';

/** What the SQL sends for a BLOB: at most max + 1 bytes, and the stored length. */
const fetchedBytes = (b: Buffer, max: number) => ({ prefix: b.subarray(0, max + 1), storedBytes: b.length });
/** What the SQL sends for a text: at most max characters, and the stored length in bytes. */
const fetchedText = (t: string, max: number) => ({ prefix: [...t].slice(0, max).join(''), storedBytes: Buffer.byteLength(t) });

describe('dead-letter excerpts', () => {
  it('keeps a value that fits whole and unmarked', () => {
    const v = Buffer.from('{"n":1}');
    expect(bytesExcerpt(fetchedBytes(v, 16), 16)).toEqual({ value: v, cut: false });
    expect(bytesExcerpt({ prefix: null, storedBytes: null }, 16)).toEqual({ value: null, cut: false });
    const exact = Buffer.alloc(16, 0x61);
    expect(bytesExcerpt(fetchedBytes(exact, 16), 16)).toEqual({ value: exact, cut: false });
  });

  it('cuts bytes at a UTF-8 boundary, never inside a character, and says so', () => {
    // "é" is 2 bytes, "😀" 4: 7 bytes of 'a' then 😀 puts the boundary inside the emoji at 8.
    const v = Buffer.from('aaaaaaa😀' + 'b'.repeat(100));
    const e = bytesExcerpt(fetchedBytes(v, 8), 8);
    expect(e.cut).toBe(true);
    expect(e.value!.toString('utf8')).toBe('aaaaaaa');
    expect(e.value!.toString('utf8')).not.toContain('\uFFFD');
    const at = bytesExcerpt(fetchedBytes(Buffer.from('aaaaaaaa😀'), 8), 8);
    expect(at.value!.toString()).toBe('aaaaaaaa');
    expect(at.cut).toBe(true);
  });

  it('cuts text to at most max bytes at a character boundary, as a byte-exact prefix', () => {
    const t = '名'.repeat(10); // 30 bytes
    const e = textExcerpt(fetchedText(t, 8), 8);
    expect(e).toEqual({ value: '名名', cut: true });
    expect(t.startsWith(e.value!)).toBe(true);
    expect(textExcerpt(fetchedText('short', 8), 8)).toEqual({ value: 'short', cut: false });
    // Exactly max characters fetched but the stored text is longer: cut.
    expect(textExcerpt(fetchedText('abcdefghij', 8), 8)).toEqual({ value: 'abcdefgh', cut: true });
  });

  it('keeps headers as whole pairs within the bound', () => {
    const pairs = [
      ['a', 'AAAA'],
      ['b', 'BBBB'],
      ['c', 'C'.repeat(100)],
    ];
    const json = JSON.stringify(pairs);
    expect(headersExcerpt(fetchedText(json, 1000), 1000)).toEqual({ value: pairs, cut: false });
    const cut = headersExcerpt(fetchedText(json, 40), 40);
    expect(cut).toEqual({
      value: [
        ['a', 'AAAA'],
        ['b', 'BBBB'],
      ],
      cut: true,
    });
    expect(headersExcerpt(fetchedText(json, 5), 5)).toEqual({ value: [], cut: true });
    // MySQL 8 normalises JSON with spaces; names may hold brackets and escaped quotes.
    const spaced = '[["x]\\"[", "AA"], ["y", "' + 'B'.repeat(50) + '"]]';
    expect(headersExcerpt(fetchedText(spaced, 30), 30)).toEqual({ value: [['x]"[', 'AA']], cut: true });
  });

  it('a list row names every cut field with its stored size and stays within the bound', () => {
    const max = 64;
    const big = Buffer.from('{"pad":"' + 'x'.repeat(5000) + '"}');
    const row: DeadLetterExcerptRow = {
      id: 7,
      subscriptionId: 1,
      topic: 't',
      partition: 0,
      offset: 3,
      key: fetchedBytes(Buffer.from('k1'), max),
      value: fetchedBytes(big, max),
      headers: fetchedText('[]', max),
      transformedBody: fetchedText('é'.repeat(100), max),
      lastError: fetchedText('HTTP 500', max),
      responseExcerpt: { prefix: null, storedBytes: null },
      reason: 'retries_exhausted',
      attempts: 3,
      lastStatus: 500,
      truncatedFields: null,
      state: 'pending',
      firstAttemptAt: null,
      lastAttemptAt: null,
      createdAt: new Date(0),
      updatedAt: new Date(0),
    };
    const dto = DeadLetterResponseDto.fromExcerpt(row, max);
    expect(dto).toMatchObject({ key: 'k1', keyBytes: 2, valueBytes: big.length, lastError: 'HTTP 500', excerpted: true, recordKept: true });
    expect(dto.excerptedFields).toEqual({ value: big.length, transformedBody: 200 });
    expect(Buffer.byteLength(dto.value!)).toBe(max);
    expect(Buffer.byteLength(dto.transformedBody!)).toBe(max);
    expect(big.toString().startsWith(dto.value!)).toBe(true);
  });
});
