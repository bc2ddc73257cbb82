import { OffsetTracker } from './offset-tracker';

describe('OffsetTracker', () => {
  it('commits nothing before the first record is done', () => {
    const t = new OffsetTracker();
    t.track(5);
    t.track(6);
    expect(t.nextCommit()).toBeUndefined();
    t.markDone(6);
    expect(t.nextCommit()).toBeUndefined();
    expect(t.doneBehindHead).toBe(1);
  });

  it('advances over the contiguous done prefix only, whatever the completion order', () => {
    const t = new OffsetTracker();
    [10, 11, 12, 13].forEach((o) => t.track(o));
    t.markDone(12);
    t.markDone(10);
    expect(t.nextCommit()).toBe(11);
    t.markDone(13);
    expect(t.nextCommit()).toBe(11);
    t.markDone(11);
    expect(t.nextCommit()).toBe(14);
    expect(t.pending).toBe(0);
  });

  it('handles offset gaps (compaction, transaction markers)', () => {
    const t = new OffsetTracker();
    [3, 7, 20].forEach((o) => t.track(o));
    t.markDone(3);
    t.markDone(7);
    expect(t.nextCommit()).toBe(8);
    t.markDone(20);
    expect(t.nextCommit()).toBe(21);
  });

  it('ignores unknown and repeated completions', () => {
    const t = new OffsetTracker();
    t.track(1);
    t.markDone(99);
    t.markDone(1);
    t.markDone(1);
    expect(t.nextCommit()).toBe(2);
    expect(t.pending).toBe(0);
  });

  it('refuses offsets that go backwards', () => {
    const t = new OffsetTracker();
    t.track(4);
    expect(() => t.track(4)).toThrow(/out of order/);
  });

  it('stays correct across compaction of a long window', () => {
    const t = new OffsetTracker();
    for (let o = 0; o < 5000; o++) t.track(o);
    for (let o = 4999; o >= 1; o--) t.markDone(o);
    expect(t.nextCommit()).toBeUndefined();
    t.markDone(0);
    expect(t.nextCommit()).toBe(5000);
    t.track(5000);
    t.markDone(5000);
    expect(t.nextCommit()).toBe(5001);
  });
});

describe('OffsetTracker re-fetch', () => {
  it('refuses a record it released already, so a re-fetch is not processed twice', () => {
    const t = new OffsetTracker();
    t.track(1);
    t.markDone(1);
    expect(() => t.track(1)).toThrow(/out of order/);
  });
});

describe('OffsetTracker resumeAt', () => {
  it('has the resume point to commit before any record is done, and moves on from there', () => {
    const t = new OffsetTracker();
    t.resumeAt(40);
    expect(t.nextCommit()).toBe(40);
    expect(() => t.track(39)).toThrow(/out of order/);
    t.track(40);
    t.track(41);
    t.markDone(41);
    expect(t.nextCommit()).toBe(40);
    t.markDone(40);
    expect(t.nextCommit()).toBe(42);
  });

  it('is refused once records are tracked', () => {
    const t = new OffsetTracker();
    t.track(1);
    expect(() => t.resumeAt(5)).toThrow(/tracked nothing/);
  });
});
