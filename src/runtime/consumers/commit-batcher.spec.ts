import { CommitBatcher } from './commit-batcher';

describe('CommitBatcher', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  /** A flush whose answer arrives when the test says so. */
  function answered() {
    const answers: Array<() => void> = [];
    const flush = jest.fn(() => new Promise<void>((resolve) => answers.push(resolve)));
    return { flush, answer: () => answers.shift()!() };
  }

  it('commits the first done record at once, and records done in the same turn share the commit', async () => {
    const { flush } = answered();
    const b = new CommitBatcher(flush, () => false, 50);
    b.noteDone();
    b.noteDone();
    b.noteDone();
    expect(flush).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(0);
    expect(flush).toHaveBeenCalledTimes(1);
  });

  it('keeps one commit outstanding: the next goes when the answer arrives, not before', async () => {
    let pending = false;
    const { flush, answer } = answered();
    const b = new CommitBatcher(flush, () => pending, 50);
    b.noteDone();
    await jest.advanceTimersByTimeAsync(0);
    pending = true;
    for (let i = 0; i < 100; i++) b.noteDone();
    await jest.advanceTimersByTimeAsync(500);
    expect(flush).toHaveBeenCalledTimes(1);
    answer();
    await jest.advanceTimersByTimeAsync(0);
    // The answer came 500 ms after the send, past the floor: the next commit goes at once.
    expect(flush).toHaveBeenCalledTimes(2);
  });

  it('never sends two commits closer than the floor', async () => {
    let pending = false;
    const { flush, answer } = answered();
    const b = new CommitBatcher(flush, () => pending, 50);
    b.noteDone();
    await jest.advanceTimersByTimeAsync(0);
    pending = true;
    b.noteDone();
    await jest.advanceTimersByTimeAsync(5);
    answer();
    await jest.advanceTimersByTimeAsync(44);
    expect(flush).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(flush).toHaveBeenCalledTimes(2);
  });

  it('runs no timer while nothing is done', () => {
    const { flush } = answered();
    new CommitBatcher(flush, () => false, 50);
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(10_000);
    expect(flush).not.toHaveBeenCalled();
  });

  it('tries again after a commit that left work uncommitted (a failed commit), then goes quiet', async () => {
    let pending = true;
    const flush = jest.fn(() => Promise.resolve());
    const b = new CommitBatcher(flush, () => pending, 100);
    b.noteDone();
    await jest.advanceTimersByTimeAsync(0);
    expect(flush).toHaveBeenCalledTimes(1);
    pending = false;
    await jest.advanceTimersByTimeAsync(100);
    expect(flush).toHaveBeenCalledTimes(2);
    await jest.advanceTimersByTimeAsync(1000);
    expect(flush).toHaveBeenCalledTimes(2);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('noteIdle commits what is still committable, and nothing when nothing is', async () => {
    let pending = false;
    const flush = jest.fn(() => Promise.resolve());
    const b = new CommitBatcher(flush, () => pending, 100);
    b.noteIdle();
    await jest.advanceTimersByTimeAsync(1000);
    expect(flush).not.toHaveBeenCalled();
    pending = true;
    b.noteIdle();
    await jest.advanceTimersByTimeAsync(0);
    expect(flush).toHaveBeenCalledTimes(1);
    pending = false;
  });

  it('commitNow joins a commit in progress instead of doubling it', async () => {
    const { flush, answer } = answered();
    const b = new CommitBatcher(flush, () => false, 50);
    const first = b.commitNow();
    const second = b.commitNow();
    expect(second).toBe(first);
    answer();
    await first;
    expect(flush).toHaveBeenCalledTimes(1);
  });

  it('stop waits for the commit in progress and arms nothing after it', async () => {
    const { flush, answer } = answered();
    const b = new CommitBatcher(flush, () => true, 50);
    void b.commitNow();
    const stopped = b.stop();
    answer();
    await stopped;
    b.noteDone();
    await jest.advanceTimersByTimeAsync(1000);
    expect(flush).toHaveBeenCalledTimes(1);
  });

  it('after a failed commit the next waits the back-off, not just the floor', async () => {
    const flush = jest.fn(() => Promise.resolve());
    const b = new CommitBatcher(flush, () => false, 50);
    b.noteDone();
    await jest.advanceTimersByTimeAsync(0);
    b.failed(1000);
    b.noteDone();
    await jest.advanceTimersByTimeAsync(999);
    expect(flush).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(flush).toHaveBeenCalledTimes(2);
  });
});
