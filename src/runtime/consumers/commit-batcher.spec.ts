import { CommitBatcher } from './commit-batcher';

describe('CommitBatcher', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const flushes = () => jest.fn(() => Promise.resolve());

  it('commits once per batch of done records, not per record', () => {
    const flush = flushes();
    const b = new CommitBatcher(flush, () => false, 3, 1000);
    b.noteDone();
    b.noteDone();
    expect(flush).not.toHaveBeenCalled();
    b.noteDone();
    expect(flush).toHaveBeenCalledTimes(1);
  });

  it('commits an interval after the first done record when fewer than a batch are done', async () => {
    const flush = flushes();
    const b = new CommitBatcher(flush, () => false, 1000, 500);
    b.noteDone();
    jest.advanceTimersByTime(300);
    b.noteDone();
    jest.advanceTimersByTime(199);
    expect(flush).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(flush).toHaveBeenCalledTimes(1);
    await b.stop();
  });

  it('runs no timer while nothing is done', () => {
    const flush = flushes();
    new CommitBatcher(flush, () => false, 10, 100);
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(10_000);
    expect(flush).not.toHaveBeenCalled();
  });

  it('tries again after a commit that left work uncommitted (a failed commit)', async () => {
    let pending = true;
    const flush = flushes();
    const b = new CommitBatcher(flush, () => pending, 10, 100);
    b.noteDone();
    await jest.advanceTimersByTimeAsync(100);
    expect(flush).toHaveBeenCalledTimes(1);
    pending = false;
    await jest.advanceTimersByTimeAsync(100);
    expect(flush).toHaveBeenCalledTimes(2);
    await jest.advanceTimersByTimeAsync(1000);
    expect(flush).toHaveBeenCalledTimes(2);
  });

  it('joins a commit in progress instead of starting a second one', async () => {
    let finish!: () => void;
    const flush = jest.fn(() => new Promise<void>((r) => (finish = r)));
    const b = new CommitBatcher(flush, () => false, 1, 1000);
    b.noteDone();
    const again = b.commitNow();
    b.noteDone();
    expect(flush).toHaveBeenCalledTimes(1);
    finish();
    await again;
    const next = b.commitNow();
    expect(flush).toHaveBeenCalledTimes(2);
    finish();
    await next;
  });

  it('stops arming after stop()', async () => {
    const flush = flushes();
    const b = new CommitBatcher(flush, () => true, 10, 100);
    await b.stop();
    b.noteDone();
    await jest.advanceTimersByTimeAsync(1000);
    expect(flush).not.toHaveBeenCalled();
  });

  it('commits an interval after an idle poll only when something is still committable', async () => {
    const flush = flushes();
    let pending = false;
    const b = new CommitBatcher(flush, () => pending, 1000, 500);
    b.noteIdle();
    jest.advanceTimersByTime(1000);
    expect(flush).not.toHaveBeenCalled();
    pending = true;
    b.noteIdle();
    jest.advanceTimersByTime(499);
    expect(flush).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(flush).toHaveBeenCalledTimes(1);
    await b.stop();
  });
});
