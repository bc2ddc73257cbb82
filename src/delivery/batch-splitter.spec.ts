import { BatchSplitter, type PartOutcome } from './batch-splitter';

/** A fake endpoint over records 0..n-1: answers per part, and logs every part it was sent. */
function endpoint(answer: (records: number[]) => PartOutcome<string>) {
  const sent: number[][] = [];
  const send = async (from: number, to: number) => {
    const records = Array.from({ length: to - from }, (_, i) => from + i);
    sent.push(records);
    return answer(records);
  };
  return { sent, send };
}

const refused =
  (bad: Set<number>) =>
  (records: number[]): PartOutcome<string> =>
    records.some((r) => bad.has(r)) ? { kind: 'refused', failure: `400 over ${records.join(',')}` } : 'delivered';

describe('BatchSplitter', () => {
  describe('parts', () => {
    it('packs consecutive records while the array body ([, commas, ]) stays within the cap', () => {
      // 10-byte records: a part of k holds 2 + 10k + (k-1) bytes; 45 bytes fit 3 (34), not 4 (45 ok), 5 (56 no).
      const s = new BatchSplitter(45);
      expect(s.parts([10, 10, 10, 10, 10, 10, 10])).toEqual([
        [0, 4],
        [4, 7],
      ]);
      expect(new BatchSplitter(44).parts([10, 10, 10, 10])).toEqual([
        [0, 3],
        [3, 4],
      ]);
    });

    it('sends a record larger than the cap alone, and keeps going after it', () => {
      expect(new BatchSplitter(100).parts([10, 500, 10, 10])).toEqual([
        [0, 1],
        [1, 2],
        [2, 4],
      ]);
      expect(new BatchSplitter(100).parts([])).toEqual([]);
    });
  });

  it('delivers a batch within the cap in one request', async () => {
    const e = endpoint(() => 'delivered');
    const run = await new BatchSplitter(1 << 20).deliver(new Array(50).fill(100), e.send);
    expect(run).toMatchObject({ requests: 1, splits: 0 });
    expect(run.members.every((m) => m === 'delivered')).toBe(true);
  });

  it('halves a part answered 413 until every part fits: 100 records of 2 KB against a 100 KB limit', async () => {
    const sizes = new Array(100).fill(2048);
    const limit = 100 * 1024;
    const bytes = (records: number[]) => 2 + records.length * 2049 - 1;
    const e = endpoint((records) => (bytes(records) > limit ? { kind: 'too_large', failure: '413' } : 'delivered'));
    const run = await new BatchSplitter(1 << 20).deliver(sizes, e.send);
    expect(run.members.every((m) => m === 'delivered')).toBe(true);
    // 100 -> 50 + 50 (each 102,451 bytes, still over) -> 4 × 25.
    expect(e.sent.map((p) => p.length)).toEqual([100, 50, 25, 25, 50, 25, 25]);
    expect(e.sent.filter((p) => bytes(p) <= limit).flat()).toEqual(sizes.map((_, i) => i));
  });

  it('fails a single record answered 413 alone and delivers the rest', async () => {
    const e = endpoint((records) => (records.includes(3) ? { kind: 'too_large', failure: '413' } : 'delivered'));
    const run = await new BatchSplitter(1 << 20).deliver(new Array(8).fill(10), e.send);
    expect(run.members[3]).toEqual({ failure: '413', partSize: 1, budgetSpent: false });
    expect(run.members.filter((m) => m === 'delivered')).toHaveLength(7);
  });

  it('bisects a refused batch: 2 bad of 50 fail alone, 48 delivered, in order, in O(k log n) requests', async () => {
    const e = endpoint(refused(new Set([7, 31])));
    const run = await new BatchSplitter(1 << 20).deliver(new Array(50).fill(100), e.send);
    expect(run.members[7]).toEqual({ failure: '400 over 7', partSize: 1, budgetSpent: false });
    expect(run.members[31]).toEqual({ failure: '400 over 31', partSize: 1, budgetSpent: false });
    expect(run.members.filter((m) => m === 'delivered')).toHaveLength(48);
    // Delivered parts come in record order: halves go first-half-then-second-half.
    const delivered = e.sent.filter((p) => !p.includes(7) && !p.includes(31)).flat();
    expect(delivered).toEqual(Array.from({ length: 50 }, (_, i) => i).filter((i) => i !== 7 && i !== 31));
    expect(run.requests).toBe(1 + run.splits);
    expect(run.splits).toBeLessThanOrEqual(2 * 2 * Math.ceil(Math.log2(50)));
    expect(run.requests).toBe(21);
  });

  it('does not halve a part whose retries ran out: the endpoint is failing, not a record', async () => {
    const e = endpoint(() => ({ kind: 'final', failure: '503' }));
    const run = await new BatchSplitter(1 << 20).deliver(new Array(10).fill(10), e.send);
    expect(run.requests).toBe(1);
    expect(run.members.every((m) => typeof m === 'object' && m.partSize === 10 && !m.budgetSpent)).toBe(true);
  });

  it('finds every refused record when few are refused, even in a small batch', async () => {
    const e = endpoint(refused(new Set([4, 9])));
    const run = await new BatchSplitter(1 << 20).deliver(new Array(12).fill(10), e.send);
    expect(run.members.map((m, i) => (m === 'delivered' ? null : i)).filter((i) => i !== null)).toEqual([4, 9]);
  });

  it('caps the extra requests when everything is refused, failing the unresolved rest whole', async () => {
    const s = new BatchSplitter(1 << 20);
    expect(s.budget(1)).toBe(0);
    expect(s.budget(12)).toBe(22);
    expect(s.budget(64)).toBe(96);
    expect(s.budget(500)).toBe(144);
    const e = endpoint((records) => ({ kind: 'refused', failure: `400 × ${records.length}` }));
    const run = await s.deliver(new Array(64).fill(10), e.send);
    expect(run.splits).toBeLessThanOrEqual(96);
    expect(run.requests).toBe(1 + run.splits);
    expect(run.members.every((m) => typeof m === 'object')).toBe(true);
    expect(run.members.some((m) => typeof m === 'object' && m.budgetSpent)).toBe(true);
  });

  it('singles out up to 8 refused records wherever they sit in batches of 2 to 500 (200 seeded trials)', async () => {
    const s = new BatchSplitter(1 << 20);
    // mulberry32: the same 200 trials on every run, so a failure can be replayed.
    let seed = 0x5eed15;
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
      return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
    };
    for (let trial = 0; trial < 200; trial++) {
      const n = 2 + Math.floor(random() * 499);
      const bad = new Set(Array.from({ length: 8 }, () => Math.floor(random() * n)));
      const run = await s.deliver(new Array(n).fill(10), endpoint(refused(bad)).send);
      const failed = run.members.map((m, i) => (m === 'delivered' ? -1 : i)).filter((i) => i >= 0);
      expect(failed).toEqual([...bad].sort((a, b) => a - b));
      expect(run.splits).toBeLessThanOrEqual(2 * bad.size * Math.ceil(Math.log2(n)));
    }
  });

  it('stops at an abandoned part: earlier records stay delivered, nothing later is sent', async () => {
    const e = endpoint((records) => (records.includes(5) ? 'abandoned' : records.includes(2) ? { kind: 'refused', failure: 'x' } : 'delivered'));
    // Cap of 4 records per part: parts [0..3], [4..7], [8..9].
    const run = await new BatchSplitter(2 + 4 * 10 + 3).deliver(new Array(10).fill(10), e.send);
    expect(run.members.slice(0, 4)).toEqual(['delivered', 'delivered', { failure: 'x', partSize: 1, budgetSpent: false }, 'delivered']);
    expect(run.members.slice(4)).toEqual(new Array(6).fill('abandoned'));
    expect(e.sent.some((p) => p.includes(8))).toBe(false);
  });
});
