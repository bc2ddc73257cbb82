import { CommitReceipts } from './commit-receipts';

describe('CommitReceipts', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('resolves a commit with the answer for the same offsets, in any partition order', async () => {
    const receipts = new CommitReceipts();
    const answer = receipts.expect(
      [
        { partition: 1, offset: 10 },
        { partition: 0, offset: 7 },
      ],
      1000,
    );
    expect(
      receipts.settle(null, [
        { partition: 0, offset: 7 },
        { partition: 1, offset: 10 },
      ]),
    ).toBe(true);
    await expect(answer).resolves.toEqual({ ok: true });
    expect(receipts.pending).toBe(0);
  });

  it('passes a refusal on with its code, and ignores answers for other offsets', async () => {
    const receipts = new CommitReceipts();
    const answer = receipts.expect([{ partition: 0, offset: 7 }], 1000);
    expect(receipts.settle(null, [{ partition: 0, offset: 8 }])).toBe(false);
    receipts.settle({ message: 'Broker: Group rebalance in progress', code: 27 }, [{ partition: 0, offset: 7 }]);
    await expect(answer).resolves.toEqual({ ok: false, error: 'Broker: Group rebalance in progress', code: 27 });
  });

  it('treats a commit nobody answered in time as failed, and a late answer as unexpected', async () => {
    const receipts = new CommitReceipts();
    const answer = receipts.expect([{ partition: 0, offset: 7 }], 1000);
    jest.advanceTimersByTime(1000);
    await expect(answer).resolves.toEqual({ ok: false, error: 'no answer to the offset commit within 1000 ms' });
    expect(receipts.settle(null, [{ partition: 0, offset: 7 }])).toBe(false);
  });

  it('answers the same offsets committed twice one after the other', async () => {
    const receipts = new CommitReceipts();
    const first = receipts.expect([{ partition: 0, offset: 7 }], 1000);
    const second = receipts.expect([{ partition: 0, offset: 7 }], 1000);
    receipts.settle({ message: 'timed out', code: 7 }, [{ partition: 0, offset: 7 }]);
    receipts.settle(null, [{ partition: 0, offset: 7 }]);
    await expect(first).resolves.toMatchObject({ ok: false });
    await expect(second).resolves.toEqual({ ok: true });
  });

  it('fails every waiter when the client closes', async () => {
    const receipts = new CommitReceipts();
    const answer = receipts.expect([{ partition: 0, offset: 7 }], 1000);
    receipts.abandon('stopping');
    await expect(answer).resolves.toEqual({ ok: false, error: 'stopping' });
    expect(receipts.pending).toBe(0);
  });
});
