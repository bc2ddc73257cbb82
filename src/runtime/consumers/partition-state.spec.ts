import { PartitionState } from './partition-state';

describe('PartitionState backpressure', () => {
  it('pauses when the window reaches the bound and resumes at half', () => {
    const st = new PartitionState(0);
    for (let o = 0; o < 9; o++) st.tracker.track(o);
    expect(st.shouldPause(10)).toBe(false);
    st.tracker.track(9);
    expect(st.shouldPause(10)).toBe(true);
    expect(st.shouldPause(10)).toBe(false);
    for (let o = 0; o < 4; o++) st.tracker.markDone(o);
    expect(st.shouldResume(10)).toBe(false);
    st.tracker.markDone(4);
    expect(st.shouldResume(10)).toBe(true);
    expect(st.paused).toBe(false);
  });

  it('stays paused while a stuck head holds the window, however many records behind it finish', () => {
    const st = new PartitionState(0);
    for (let o = 0; o < 10; o++) st.tracker.track(o);
    expect(st.shouldPause(10)).toBe(true);
    for (let o = 1; o < 10; o++) st.tracker.markDone(o);
    expect(st.window).toBe(10);
    expect(st.shouldResume(10)).toBe(false);
    st.tracker.markDone(0);
    expect(st.window).toBe(0);
    expect(st.shouldResume(10)).toBe(true);
  });

  it('never resumes a revoked partition', () => {
    const st = new PartitionState(0);
    st.tracker.track(0);
    expect(st.shouldPause(1)).toBe(true);
    st.revoke();
    st.tracker.markDone(0);
    expect(st.shouldResume(1)).toBe(false);
    expect(st.signal.aborted).toBe(true);
  });
});
