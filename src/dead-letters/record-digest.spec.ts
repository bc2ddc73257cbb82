import { recordDigest, type DigestedRecord } from './record-digest';

const base: DigestedRecord = {
  key: Buffer.from('k'),
  headers: [['h', Buffer.from('v').toString('base64')]],
  value: Buffer.from('{"n":1}'),
  timestamp: 1_700_000_000_000,
};

describe('recordDigest', () => {
  it('is 32 bytes and the same for the same record', () => {
    const d = recordDigest(base);
    expect(d).toHaveLength(32);
    expect(recordDigest({ ...base, key: Buffer.from('k'), headers: [['h', 'dg==']] })).toEqual(d);
  });

  it('differs when any part differs, including absent against empty and moved boundaries', () => {
    const variants: DigestedRecord[] = [
      { ...base, key: null },
      { ...base, key: Buffer.alloc(0) },
      { ...base, key: Buffer.from('k ') },
      { ...base, headers: null },
      { ...base, headers: [['h', '']] },
      { ...base, headers: [['hv', '']] },
      {
        ...base,
        headers: [
          ['h', 'dg=='],
          ['h', 'dg=='],
        ],
      },
      { ...base, value: null },
      { ...base, value: Buffer.from('{"n":2}') },
      { ...base, timestamp: null },
      { ...base, timestamp: 1_700_000_000_001 },
      // The key's last byte moved into the value: length prefixes keep them apart.
      { ...base, key: Buffer.alloc(0), value: Buffer.from('k{"n":1}') },
    ];
    const seen = new Set([recordDigest(base).toString('hex')]);
    for (const v of variants) seen.add(recordDigest(v).toString('hex'));
    expect(seen.size).toBe(variants.length + 1);
  });

  it('treats no headers and an empty header list alike', () => {
    expect(recordDigest({ ...base, headers: null })).toEqual(recordDigest({ ...base, headers: [] }));
  });
});
