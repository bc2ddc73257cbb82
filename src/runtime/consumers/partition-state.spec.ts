import { PartitionState } from './partition-state';

const w = (window: number) => ({ window, buffered: Number.MAX_SAFE_INTEGER });

describe('PartitionState backpressure', () => {
  it('pauses when the window reaches the bound and resumes at half', () => {
    const st = new PartitionState(0);
    for (let o = 0; o < 9; o++) st.tracker.track(o);
    expect(st.shouldPause(w(10))).toBe(false);
    st.tracker.track(9);
    expect(st.shouldPause(w(10))).toBe(true);
    expect(st.shouldPause(w(10))).toBe(false);
    for (let o = 0; o < 4; o++) st.tracker.markDone(o);
    expect(st.shouldResume(w(10))).toBe(false);
    st.tracker.markDone(4);
    expect(st.shouldResume(w(10))).toBe(true);
    expect(st.paused).toBe(false);
  });

  it('stays paused while a stuck head holds the window, however many records behind it finish', () => {
    const st = new PartitionState(0);
    for (let o = 0; o < 10; o++) st.tracker.track(o);
    expect(st.shouldPause(w(10))).toBe(true);
    for (let o = 1; o < 10; o++) st.tracker.markDone(o);
    expect(st.window).toBe(10);
    expect(st.shouldResume(w(10))).toBe(false);
    st.tracker.markDone(0);
    expect(st.window).toBe(0);
    expect(st.shouldResume(w(10))).toBe(true);
  });

  it('pauses when too many records wait unstarted, and resumes once half of them started', () => {
    const st = new PartitionState(0);
    const bounds = { window: 1000, buffered: 4 };
    for (let o = 0; o < 4; o++) st.tracker.track(o);
    st.buffered = 3;
    expect(st.shouldPause(bounds)).toBe(false);
    st.buffered = 4;
    expect(st.shouldPause(bounds)).toBe(true);
    st.buffered = 3;
    expect(st.shouldResume(bounds)).toBe(false);
    st.buffered = 2;
    expect(st.shouldResume(bounds)).toBe(true);
  });

  it('never resumes a revoked partition', () => {
    const st = new PartitionState(0);
    st.tracker.track(0);
    expect(st.shouldPause(w(1))).toBe(true);
    st.revoke();
    st.tracker.markDone(0);
    expect(st.shouldResume(w(1))).toBe(false);
    expect(st.signal.aborted).toBe(true);
  });
});
