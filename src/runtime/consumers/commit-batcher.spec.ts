import { CommitBatcher } from './commit-batcher';

describe('CommitBatcher', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('commits once per batch of done records, not per record', () => {
    const flush = jest.fn(() => Promise.resolve());
    const b = new CommitBatcher(flush, 3, 1000);
    b.noteDone();
    b.noteDone();
    expect(flush).not.toHaveBeenCalled();
    b.noteDone();
    expect(flush).toHaveBeenCalledTimes(1);
  });

  it('commits on the interval when fewer than a batch are done', async () => {
    const flush = jest.fn(() => Promise.resolve());
    const b = new CommitBatcher(flush, 1000, 500);
    b.start();
    b.noteDone();
    jest.advanceTimersByTime(499);
    expect(flush).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(flush).toHaveBeenCalledTimes(1);
    await b.stop();
    jest.advanceTimersByTime(5000);
    expect(flush).toHaveBeenCalledTimes(1);
  });

  it('joins a commit in progress instead of starting a second one', async () => {
    let finish!: () => void;
    const flush = jest.fn(() => new Promise<void>((r) => (finish = r)));
    const b = new CommitBatcher(flush, 1, 1000);
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

  it('restarts the count after each commit', () => {
    const flush = jest.fn(() => Promise.resolve());
    const b = new CommitBatcher(flush, 2, 1000);
    b.noteDone();
    void b.commitNow();
    b.noteDone();
    expect(flush).toHaveBeenCalledTimes(1);
  });
});
