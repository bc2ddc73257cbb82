import { CommitManager, type CommitError, type CommitHost } from './commit-manager';
import type { CommittedOffset } from './commit-receipts';
import type { CommitOffsets } from './partition-ledger';

const REBALANCING = 27;

/** A host whose offsets and answers the test controls; the broker answers through manager.onAnswer. */
function setup(opts: { running?: boolean; commitIntervalMs?: number; sessionTimeoutMs?: number } = {}) {
  const state = { running: opts.running ?? true, done: [] as CommitOffsets, refuse: null as CommitError | null };
  const sent: CommitOffsets[] = [];
  const host = {
    send: jest.fn(async (offsets: CommitOffsets) => {
      sent.push(offsets);
      return state.refuse;
    }),
    doneOffsets: () => state.done,
    confirmed: jest.fn((offsets: readonly CommittedOffset[]) => {
      // What the ledger does: a confirmed offset is no longer committable.
      state.done = state.done.filter((d) => !offsets.some((o) => o.partition === d.partition && o.offset >= d.offset));
    }),
    running: () => state.running,
    dispatch: jest.fn(),
    wakeFetch: jest.fn(),
    reportProblem: jest.fn(),
    log: jest.fn(),
    commitSent: jest.fn(),
    commitFailed: jest.fn(),
    membershipChanging: (code: number | undefined) => code === REBALANCING,
  } satisfies CommitHost;
  const m = new CommitManager(host, { commitIntervalMs: opts.commitIntervalMs ?? 50, sessionTimeoutMs: opts.sessionTimeoutMs ?? 10_000 });
  const done = (partition: number, offset: number) => {
    state.done = [{ topic: 't', partition, offset }];
    m.noteDone();
  };
  return { m, host, state, sent, done };
}

describe('CommitManager', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('counts offsets committed only on the broker answer, and sends a failed commit again', async () => {
    const { m, host, sent, done } = setup();
    done(0, 5);
    await jest.advanceTimersByTimeAsync(0);
    expect(sent).toEqual([[{ topic: 't', partition: 0, offset: 5 }]]);
    expect(host.confirmed).not.toHaveBeenCalled();
    m.onAnswer({ message: 'coordinator not available', code: 15 }, [{ partition: 0, offset: 5 }]);
    await jest.advanceTimersByTimeAsync(0);
    expect(host.commitFailed).toHaveBeenCalledTimes(1);
    // A failed commit backs off 1 s, then the same offsets go again.
    await jest.advanceTimersByTimeAsync(1000);
    expect(sent).toHaveLength(2);
    m.onAnswer(undefined, [{ partition: 0, offset: 5 }]);
    await jest.advanceTimersByTimeAsync(0);
    expect(host.confirmed).toHaveBeenCalledWith([{ topic: 't', partition: 0, offset: 5 }]);
  });

  it('a refusal because the group is rebalancing holds new deliveries until the next rebalance', async () => {
    const { m, host, done } = setup();
    done(0, 5);
    await jest.advanceTimersByTimeAsync(0);
    m.onAnswer({ message: 'rebalance in progress', code: REBALANCING }, [{ partition: 0, offset: 5 }]);
    await jest.advanceTimersByTimeAsync(0);
    expect(m.held()).toBe(true);
    expect(m.holding).toBe(true);
    expect(host.wakeFetch).toHaveBeenCalled();
    m.releaseHold();
    expect(host.dispatch).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(0);
    expect(host.dispatch).toHaveBeenCalledTimes(1);
    expect(m.holding).toBe(false);
  });

  it('a rebalance hold that no rebalance ends lasts the session timeout', async () => {
    const { m, done } = setup({ sessionTimeoutMs: 6000 });
    done(0, 5);
    await jest.advanceTimersByTimeAsync(0);
    m.onAnswer({ message: 'rebalance in progress', code: REBALANCING }, [{ partition: 0, offset: 5 }]);
    await jest.advanceTimersByTimeAsync(5999);
    expect(m.holding).toBe(true);
    await jest.advanceTimersByTimeAsync(1);
    expect(m.holding).toBe(false);
  });

  it('holds when no commit is confirmed for 2 s, reports it after 30 s, and delivers again on the next confirmed commit', async () => {
    const { m, host, done, state } = setup();
    done(0, 5);
    await jest.advanceTimersByTimeAsync(1999);
    expect(m.held()).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(m.held()).toBe(true);
    expect(host.log).toHaveBeenCalledWith('warn', 'no commit confirmed for a while: holding new deliveries until one is', expect.any(Object));
    await jest.advanceTimersByTimeAsync(30_000);
    expect(m.held()).toBe(true);
    expect(host.reportProblem).toHaveBeenCalledWith(expect.stringMatching(/^no offset commit confirmed for 30 s/));
    // The unanswered commit timed out (30 s) and went again; this answer confirms it.
    m.onAnswer(undefined, [{ partition: 0, offset: 5 }]);
    await jest.advanceTimersByTimeAsync(0);
    expect(state.done).toEqual([]);
    expect(m.held()).toBe(false);
    expect(host.dispatch).toHaveBeenCalled();
  });

  it('a stall ends by itself when what waited was of partitions revoked meanwhile', async () => {
    const { m, done, state } = setup();
    done(0, 5);
    await jest.advanceTimersByTimeAsync(2500);
    expect(m.held()).toBe(true);
    state.done = [];
    expect(m.held()).toBe(false);
  });

  it('an answer nobody waits for (a late one) still counts as confirmed', () => {
    const { m, host } = setup();
    m.onAnswer(undefined, [{ partition: 3, offset: 9 }]);
    expect(host.confirmed).toHaveBeenCalledWith([{ partition: 3, offset: 9 }]);
  });

  it('while stopping a commit is sent without waiting for its answer, and close sends the final one', async () => {
    const { m, sent, state, host } = setup({ running: false });
    state.done = [{ topic: 't', partition: 0, offset: 8 }];
    m.quiesce();
    await m.close();
    expect(sent).toEqual([[{ topic: 't', partition: 0, offset: 8 }]]);
    expect(host.confirmed).not.toHaveBeenCalled();
  });

  it('a commit the client refuses to queue fails at once', async () => {
    const { m, host, state, done } = setup();
    state.refuse = { message: 'Local: Erroneous state', code: -172 };
    done(0, 5);
    await jest.advanceTimersByTimeAsync(0);
    expect(host.commitFailed).toHaveBeenCalledTimes(1);
    expect(host.log).toHaveBeenCalledWith('warn', 'offset commit failed; will retry', expect.objectContaining({ offsets: ['0:5'] }));
    expect(m.held()).toBe(false);
  });
});
