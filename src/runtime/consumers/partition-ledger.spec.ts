import type { Message } from '@confluentinc/kafka-javascript';
import type { DeliveryPolicySpec } from '../../model/delivery-spec';
import { PartitionLedger, type LedgerEvents } from './partition-ledger';
import type { PartitionStart } from './start-position-resolver';

const policy = { maxInFlight: 2, batchSize: 1 } as DeliveryPolicySpec;
const rec = (partition: number, offset: number): Message => ({ topic: 't', partition, offset, key: null, value: Buffer.from('{}'), size: 2 }) as Message;
const start = (partition: number, offset: number, commit = false, committed: number | null = null): PartitionStart =>
  ({ partition, offset, reason: 'committed', committed, commit, skipped: 0 }) as PartitionStart;
const noWatermarks = () => ({ low: -1, high: -1 });
const noPosition = () => undefined;

function ledger(buffer = 4) {
  const events = { skipped: jest.fn(), rewound: jest.fn() } satisfies LedgerEvents;
  return { l: new PartitionLedger('t', policy, buffer, events), events };
}

/** Admits, takes out and releases `offsets` of a partition in the given order, done. */
function deliver(l: PartitionLedger, partition: number, offsets: number[], done = true): void {
  const msgs = offsets.map((o) => rec(partition, o));
  const states = msgs.map((m) => l.admit(m, noWatermarks)!);
  for (const m of msgs) l.takeOut(m);
  for (let i = msgs.length - 1; i >= 0; i--) l.release(states[i], msgs[i].offset, done);
}

describe('PartitionLedger', () => {
  it('commits after the done prefix only: a record still out holds back those done after it', () => {
    const { l } = ledger();
    l.assign(0, start(0, 10), null);
    const msgs = [10, 11, 12].map((o) => rec(0, o));
    const st = l.admit(msgs[0], noWatermarks)!;
    l.admit(msgs[1], noWatermarks);
    l.admit(msgs[2], noWatermarks);
    msgs.forEach((m) => l.takeOut(m));
    expect(l.release(st, 12, true)).toBe(true);
    expect(l.release(st, 11, true)).toBe(true);
    expect(l.doneOffsets(noPosition)).toEqual([]);
    l.release(st, 10, true);
    expect(l.doneOffsets(noPosition)).toEqual([{ topic: 't', partition: 0, offset: 13 }]);
    l.markCommitted([{ partition: 0, offset: 13 }]);
    expect(l.doneOffsets(noPosition)).toEqual([]);
  });

  it('a start that must be committed is committable at once, before any record', () => {
    const { l } = ledger();
    expect(l.assign(0, start(0, 7, true, 3), null)).toBe(true);
    expect(l.assign(1, start(1, 0), null)).toBe(false);
    expect(l.doneOffsets(noPosition)).toEqual([{ topic: 't', partition: 0, offset: 7 }]);
  });

  it('drops records of partitions it does not own and copies it already holds', () => {
    const { l } = ledger();
    l.assign(0, start(0, 0), null);
    expect(l.admit(rec(1, 0), noWatermarks)).toBeUndefined();
    expect(l.admit(rec(0, 0), noWatermarks)).toBeDefined();
    expect(l.admit(rec(0, 0), noWatermarks)).toBeUndefined();
    expect(l.get(0)!.buffered).toBe(1);
  });

  it('a gap the log start passed is reported as skipped records; an ordinary gap is not', () => {
    const { l, events } = ledger();
    l.assign(0, start(0, 5), null);
    expect(l.admit(rec(0, 9), () => ({ low: 3, high: 20 }))).toBeDefined();
    expect(events.skipped).not.toHaveBeenCalled();
    expect(l.admit(rec(0, 30), () => ({ low: 25, high: 40 }))).toBeDefined();
    expect(events.skipped).toHaveBeenCalledWith(0, { offset: 30, expectedOffset: 10, logStart: 25, skipped: 15 });
  });

  it('offsets going back start a fresh state, and a late commit answer of the old state does not count for it', () => {
    const { l, events } = ledger();
    l.assign(0, start(0, 100), null);
    deliver(l, 0, [100, 101]);
    const old = l.get(0)!;
    const fresh = l.admit(rec(0, 0), () => ({ low: 0, high: 3 }))!;
    expect(fresh).not.toBe(old);
    expect(old.revoked).toBe(true);
    expect(events.rewound).toHaveBeenCalledWith(old, fresh, 0, { highWatermark: 3 });
    expect(fresh.rewoundFrom).toBe(102);
    l.markCommitted([{ partition: 0, offset: 102 }]);
    expect(fresh.committed).toBe(-1);
    expect(l.doneOffsets(noPosition)).toEqual([{ topic: 't', partition: 0, offset: 0 }]);
  });

  it('a record behind the expected offset but above the done prefix is a re-fetched copy: dropped', () => {
    const { l, events } = ledger();
    l.assign(0, start(0, 0), null);
    deliver(l, 0, [0]);
    l.admit(rec(0, 1), noWatermarks);
    l.admit(rec(0, 2), noWatermarks);
    expect(l.admit(rec(0, 1), () => ({ low: 0, high: 10 }))).toBeUndefined();
    expect(events.rewound).not.toHaveBeenCalled();
  });

  it('a revoked partition counts nothing done and reports whether it was paused', () => {
    // Bounds never go below two rounds of in-flight (2 × maxInFlight 2 = 4 records).
    const { l } = ledger(1);
    l.assign(0, start(0, 0), null);
    l.assign(1, start(1, 0), null);
    const m = rec(0, 0);
    const st = l.admit(m, noWatermarks)!;
    expect(l.shouldPause(st)).toBe(false);
    for (const o of [1, 2, 3]) l.admit(rec(0, o), noWatermarks);
    expect(l.shouldPause(st)).toBe(true);
    l.takeOut(m);
    expect(l.revoke([0, 1])).toEqual([0]);
    expect(st.signal.aborted).toBe(true);
    expect(l.release(st, 0, true)).toBe(false);
    expect(l.size).toBe(0);
    expect(l.doneOffsets(noPosition)).toEqual([]);
  });

  it('pauses at the buffer bound and resumes at half of it', () => {
    const { l } = ledger(8);
    l.assign(0, start(0, 0), null);
    const msgs = Array.from({ length: 8 }, (_, i) => rec(0, i));
    const st = l.admit(msgs[0], noWatermarks)!;
    for (const m of msgs.slice(1)) l.admit(m, noWatermarks);
    expect(l.shouldPause(st)).toBe(true);
    expect(l.shouldPause(st)).toBe(false);
    for (const m of msgs.slice(0, 3)) {
      l.takeOut(m);
      l.release(st, m.offset, true);
    }
    expect(l.shouldResume(st)).toBe(false);
    l.takeOut(msgs[3]);
    l.release(st, 3, true);
    expect(l.shouldResume(st)).toBe(true);
  });

  it('uses the client position past the done prefix only when nothing is pending (steps over transaction markers)', () => {
    const { l } = ledger();
    l.assign(0, start(0, 0), null);
    deliver(l, 0, [0, 1]);
    expect(l.doneOffsets(() => 3)).toEqual([{ topic: 't', partition: 0, offset: 3 }]);
    l.admit(rec(0, 3), noWatermarks);
    expect(l.doneOffsets(() => 9)).toEqual([{ topic: 't', partition: 0, offset: 2 }]);
  });

  it('a stop drain fills holes: buffered records below the highest started one', () => {
    const { l } = ledger();
    l.assign(0, start(0, 0), null);
    const msgs = [0, 1, 2].map((o) => rec(0, o));
    msgs.forEach((m) => l.admit(m, noWatermarks));
    l.takeOut(msgs[1]);
    expect(l.isHole(msgs[0])).toBe(true);
    expect(l.isHole(msgs[2])).toBe(false);
  });

  it('lag counts from the done prefix, or from the start before anything is done', () => {
    const { l } = ledger();
    l.assign(0, start(0, 10), null);
    l.assign(1, start(1, 0), null);
    deliver(l, 1, [0, 1, 2]);
    expect(l.lag(noPosition, (p) => (p === 0 ? 15 : 10))).toEqual([
      { partition: 0, lag: 5 },
      { partition: 1, lag: 7 },
    ]);
    expect(l.lag(noPosition, () => undefined)).toEqual([]);
  });
});
