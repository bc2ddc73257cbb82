import { StartPositionResolver, type OffsetSource } from './start-position-resolver';

/** A topic whose partitions have these watermarks and the group these commits. */
function source(marks: Record<number, [number, number]>, commits: Record<number, number>): OffsetSource & { asked: number[][] } {
  const asked: number[][] = [];
  return {
    asked,
    async committed(partitions) {
      asked.push([...partitions]);
      return new Map(partitions.filter((p) => commits[p] !== undefined).map((p) => [p, commits[p]]));
    },
    async partitions() {
      return Object.keys(marks).map(Number);
    },
    async watermarks(partition) {
      const [low, high] = marks[partition];
      return { low, high };
    },
  };
}

/** A subscription that never took the topic up before. */
const never = () => Promise.resolve(false);

describe('StartPositionResolver', () => {
  it('starts a first-time subscription at its startFrom and commits it: latest is the high watermark now', async () => {
    const src = source({ 0: [0, 5], 1: [2, 2] }, {});
    expect(await StartPositionResolver.resolve(src, [0, 1], 'latest', null, never)).toEqual([
      { partition: 0, offset: 5, reason: 'start-from', committed: null, skipped: 0, commit: true },
      { partition: 1, offset: 2, reason: 'start-from', committed: null, skipped: 0, commit: true },
    ]);
    expect((await StartPositionResolver.resolve(src, [0], 'earliest', null, never))[0]).toMatchObject({ offset: 0, reason: 'start-from', commit: true });
  });

  it('keeps a committed offset that is still on the broker, without committing again', async () => {
    const src = source({ 0: [0, 10] }, { 0: 7 });
    expect(await StartPositionResolver.resolve(src, [0], 'latest', null, never)).toEqual([{ partition: 0, offset: 7, reason: 'committed', committed: 7, skipped: 0, commit: false }]);
    expect((await StartPositionResolver.resolve(source({ 0: [0, 10] }, { 0: 10 }), [0], 'latest', null, never))[0].reason).toBe('committed');
  });

  it('starts a partition added after the subscription at its beginning, whatever startFrom says', async () => {
    const src = source({ 0: [0, 100], 1: [0, 100], 2: [0, 3] }, { 0: 100, 1: 90 });
    expect(await StartPositionResolver.resolve(src, [2], 'latest', null, never)).toEqual([{ partition: 2, offset: 0, reason: 'new-partition', committed: null, skipped: 0, commit: true }]);
    expect(src.asked).toEqual([[2], [0, 1]]);
  });

  it('a partition without a commit next to committed ones in the same assignment is new too', async () => {
    const src = source({ 0: [0, 100], 1: [4, 9] }, { 0: 100 });
    expect((await StartPositionResolver.resolve(src, [0, 1], 'latest', null, never))[1]).toMatchObject({ offset: 4, reason: 'new-partition' });
    expect(src.asked).toEqual([[0, 1]]);
  });

  it('starts at the log start, not at latest, when Kafka forgot the offsets of a subscription that ran before', async () => {
    const src = source({ 0: [3, 9], 1: [0, 4] }, {});
    let asked = 0;
    const before = () => {
      asked++;
      return Promise.resolve(true);
    };
    expect(await StartPositionResolver.resolve(src, [0, 1], 'latest', null, before)).toEqual([
      { partition: 0, offset: 3, reason: 'commits-lost', committed: null, skipped: 0, commit: true },
      { partition: 1, offset: 0, reason: 'commits-lost', committed: null, skipped: 0, commit: true },
    ]);
    expect(asked).toBe(1);
  });

  it('continues at the log start when the committed offset is below it, counting the records that are gone', async () => {
    const src = source({ 0: [40, 50] }, { 0: 12 });
    expect(await StartPositionResolver.resolve(src, [0], 'latest', null, never)).toEqual([{ partition: 0, offset: 40, reason: 'log-start', committed: 12, skipped: 28, commit: true }]);
  });

  it('starts again at the log start when the committed offset is past the high watermark (topic recreated)', async () => {
    const src = source({ 0: [0, 3] }, { 0: 500 });
    expect(await StartPositionResolver.resolve(src, [0], 'latest', null, never)).toEqual([{ partition: 0, offset: 0, reason: 'offsets-went-back', committed: 500, skipped: 0, commit: true }]);
  });

  it('a resume offset wins over the committed one, and never points below the log start', async () => {
    const src = source({ 0: [0, 10], 1: [6, 10] }, { 0: 2, 1: 2 });
    const starts = await StartPositionResolver.resolve(src, [0, 1], 'latest', new Map([[0, 5], [1, 4]]), never);
    expect(starts[0]).toMatchObject({ offset: 5, reason: 'resumed', commit: true, skipped: 0 });
    expect(starts[1]).toMatchObject({ offset: 6, reason: 'resumed', commit: true, skipped: 2 });
  });

  it('passes on a broker that does not answer, so the caller asks again', async () => {
    const src = source({ 0: [0, 1] }, {});
    src.watermarks = () => Promise.reject(new Error('watermarks of partition 0: Local: Timed out'));
    await expect(StartPositionResolver.resolve(src, [0], 'latest', null, never)).rejects.toThrow('Timed out');
  });
});
