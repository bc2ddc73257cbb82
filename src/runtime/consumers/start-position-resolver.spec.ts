import type { RecordedStart } from '../offsets/consumer-starts.repository';
import { StartPositionResolver, type OffsetSource, type StartLedger } from './start-position-resolver';

/** A topic whose partitions have these [log start, end] offsets and the group these commits. */
function source(marks: Record<number, [number, number]>, commits: Record<number, number>, topic = 'T1'): OffsetSource {
  return {
    async committed(partitions) {
      return new Map(partitions.filter((p) => commits[p] !== undefined).map((p) => [p, commits[p]]));
    },
    async partitions() {
      return Object.keys(marks).map(Number);
    },
    async offsets(partitions, which) {
      return new Map(partitions.map((p) => [p, marks[p][which === 'earliest' ? 0 : 1]]));
    },
    async topicId() {
      return topic;
    },
  };
}

/** consumer_starts in memory; `aged` marks every row as decided long ago. */
function ledger(
  rows: Record<number, [number, RecordedStart['reason']]> = {},
  aged = false,
  topicId = 'T1',
): StartLedger & { rows: Map<number, RecordedStart> } {
  const map = new Map<number, RecordedStart>(Object.entries(rows).map(([p, [offset, reason]]) => [Number(p), { topicId, offset, reason, aged }]));
  return {
    rows: map,
    async read() {
      return new Map(map);
    },
    async record(topic, starts, replace) {
      if (replace) for (const [p, r] of map) if (r.topicId !== topic) map.delete(p);
      for (const s of starts) if (!map.has(s.partition)) map.set(s.partition, { topicId: topic, offset: s.offset, reason: s.reason, aged: false });
    },
  };
}

const startsOf = async (...args: Parameters<typeof StartPositionResolver.resolve>) => (await StartPositionResolver.resolve(...args)).starts;

describe('StartPositionResolver', () => {
  it('first start: resolves latest once for every partition of the topic, records it, and commits it', async () => {
    const book = ledger();
    const starts = await startsOf(source({ 0: [0, 5], 1: [2, 2], 2: [0, 9] }, {}), book, [0, 1], 'latest', null);
    expect(starts).toEqual([
      { partition: 0, offset: 5, reason: 'start-from', committed: null, skipped: 0, commit: true },
      { partition: 1, offset: 2, reason: 'start-from', committed: null, skipped: 0, commit: true },
    ]);
    // The partition another member will get is decided now too.
    expect(book.rows.get(2)).toMatchObject({ offset: 9, reason: 'start-from' });
  });

  it('a member resolving later, after the end moved, gets the position recorded by the first (not a new latest)', async () => {
    const book = ledger();
    await startsOf(source({ 0: [0, 5], 1: [0, 7] }, {}), book, [0], 'latest', null);
    const later = await startsOf(source({ 0: [0, 50], 1: [0, 70] }, {}), book, [1], 'latest', null);
    expect(later).toEqual([{ partition: 1, offset: 7, reason: 'start-from', committed: null, skipped: 0, commit: true }]);
  });

  it('earliest is the log start', async () => {
    expect((await startsOf(source({ 0: [3, 5] }, {}), ledger(), [0], 'earliest', null))[0]).toMatchObject({ offset: 3, reason: 'start-from' });
  });

  it('keeps a committed offset without committing again and without asking the ledger', async () => {
    const book = ledger();
    book.read = () => Promise.reject(new Error('the database must not be asked'));
    expect(await startsOf(source({ 0: [0, 10] }, { 0: 7 }), book, [0], 'latest', null)).toEqual([
      { partition: 0, offset: 7, reason: 'committed', committed: 7, skipped: 0, commit: false },
    ]);
  });

  it('starts a partition added after the first start at its beginning, whatever startFrom says', async () => {
    const book = ledger({ 0: [100, 'start-from'], 1: [90, 'start-from'] });
    const starts = await startsOf(source({ 0: [0, 100], 1: [0, 100], 2: [0, 3] }, { 0: 100, 1: 90 }), book, [2], 'latest', null);
    expect(starts).toEqual([{ partition: 2, offset: 0, reason: 'new-partition', committed: null, skipped: 0, commit: true }]);
    expect(book.rows.get(2)).toMatchObject({ offset: 0, reason: 'new-partition' });
  });

  it("when Kafka forgot the group's offsets long after the first start: the recorded start or the log start, never latest", async () => {
    const book = ledger({ 0: [4, 'start-from'], 1: [1, 'start-from'] }, true);
    const starts = await startsOf(source({ 0: [0, 90], 1: [30, 90] }, {}), book, [0, 1], 'latest', null);
    expect(starts).toEqual([
      { partition: 0, offset: 4, reason: 'commits-lost', committed: null, skipped: 0, commit: true },
      { partition: 1, offset: 30, reason: 'commits-lost', committed: null, skipped: 0, commit: true },
    ]);
  });

  it('a recorded start the log start has since passed continues at the log start and counts the gap', async () => {
    const book = ledger({ 0: [10, 'start-from'] });
    expect(await startsOf(source({ 0: [25, 40] }, {}), book, [0], 'latest', null)).toEqual([
      { partition: 0, offset: 25, reason: 'start-from', committed: null, skipped: 15, commit: true },
    ]);
  });

  it('a topic recreated since the first start (another topic id): the new topic from its log start, and the records replaced', async () => {
    const book = ledger({ 0: [40, 'start-from'], 1: [40, 'start-from'] }, false, 'T-old');
    const starts = await startsOf(source({ 0: [0, 8], 1: [0, 2] }, {}, 'T-new'), book, [0], 'latest', null);
    expect(starts).toEqual([{ partition: 0, offset: 0, reason: 'topic-recreated', committed: null, skipped: 0, commit: true }]);
    expect([...book.rows.values()].map((r) => [r.topicId, r.offset])).toEqual([
      ['T-new', 0],
      ['T-new', 0],
    ]);
    // The other member then reads the new records: a plain start at the new topic's beginning.
    expect((await startsOf(source({ 0: [0, 8], 1: [0, 2] }, { 0: 0 }, 'T-new'), book, [1], 'latest', null))[0]).toMatchObject({
      offset: 0,
      reason: 'new-partition',
    });
  });

  it('a broker that gives no topic id does not hold the assignment', async () => {
    const src = source({ 0: [0, 4] }, {});
    src.topicId = () => Promise.reject(new Error('describe topic: Broker: Unsupported version'));
    const resolved = await StartPositionResolver.resolve(src, ledger(), [0], 'latest', null);
    expect(resolved).toEqual({ topicId: null, starts: [{ partition: 0, offset: 4, reason: 'start-from', committed: null, skipped: 0, commit: true }] });
  });

  it('a resume offset wins over the committed one', async () => {
    const starts = await startsOf(source({ 0: [0, 10] }, { 0: 2 }), ledger(), [0], 'latest', new Map([[0, 5]]));
    expect(starts[0]).toEqual({ partition: 0, offset: 5, reason: 'resumed', committed: 2, skipped: 0, commit: true });
  });

  it('passes on a broker or database that does not answer, so the caller asks again', async () => {
    const src = source({ 0: [0, 1] }, {});
    src.offsets = () => Promise.reject(new Error('latest offsets: Local: Timed out'));
    await expect(startsOf(src, ledger(), [0], 'latest', null)).rejects.toThrow('Timed out');
    const book = ledger();
    book.record = () => Promise.reject(new Error('connect ECONNREFUSED'));
    await expect(startsOf(source({ 0: [0, 1] }, {}), book, [0], 'latest', null)).rejects.toThrow('ECONNREFUSED');
  });

  it('will not decide without the topic id when the first start recorded one: a recreated topic would look like the old one', async () => {
    const book = ledger({ 0: [5, 'start-from'] });
    const blind: OffsetSource = { ...source({ 0: [0, 2] }, {}, 'T2'), topicId: () => Promise.reject(new Error('describe topic: Local: Timed out')) };
    await expect(startsOf(blind, book, [0], 'latest', null)).rejects.toThrow(/recorded at the first start but cannot be read now.*Timed out/);
    // Once the broker answers, the new id shows the recreation.
    expect(await startsOf(source({ 0: [0, 2] }, {}, 'T2'), book, [0], 'latest', null)).toEqual([
      { partition: 0, offset: 0, reason: 'topic-recreated', committed: null, skipped: 0, commit: true },
    ]);
  });

  it('a broker without topic ids (none recorded either) still decides', async () => {
    const book = ledger({}, false, null as unknown as string);
    const blind: OffsetSource = { ...source({ 0: [0, 4] }, {}), topicId: () => Promise.reject(new Error('DescribeTopics not supported')) };
    expect(await startsOf(blind, book, [0], 'latest', null)).toEqual([
      { partition: 0, offset: 4, reason: 'start-from', committed: null, skipped: 0, commit: true },
    ]);
  });
});
