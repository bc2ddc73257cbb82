import type { Message } from '@confluentinc/kafka-javascript';
import type { DeliveryPolicySpec, OrderingMode } from '../../model/delivery-spec';
import { PartitionLedger } from './partition-ledger';
import type { PartitionState } from './partition-state';
import { RecordDispatcher, type DispatchHost } from './record-dispatcher';
import type { ProcessResult, RecordSink } from './record-sink';
import type { PartitionStart } from './start-position-resolver';

interface Call {
  readonly msgs: readonly Message[];
  readonly signal: AbortSignal;
  readonly batch: boolean;
  resolve(results: ProcessResult | ProcessResult[]): void;
  reject(err: Error): void;
}

/** A sink whose every delivery waits for the test to answer it. */
class FakeSink implements RecordSink {
  readonly calls: Call[] = [];
  readonly deadLettered: Array<{ offset: number; failures: number }> = [];
  deadLetterFails = new Set<number>();

  process(msg: Message, signal: AbortSignal): Promise<ProcessResult> {
    return new Promise((resolve, reject) => this.calls.push({ msgs: [msg], signal, batch: false, resolve: (r) => resolve(r as ProcessResult), reject }));
  }
  processBatch(msgs: readonly Message[], signal: AbortSignal): Promise<ProcessResult[]> {
    return new Promise((resolve, reject) =>
      this.calls.push({ msgs: [...msgs], signal, batch: true, resolve: (r) => resolve(typeof r === 'string' ? msgs.map(() => r) : r), reject }),
    );
  }
  deadLetterUnexpected(msg: Message, _signal: AbortSignal, _error: string, failures: number): Promise<ProcessResult> {
    if (this.deadLetterFails.has(msg.offset)) return Promise.reject(new Error('store down'));
    this.deadLettered.push({ offset: msg.offset, failures });
    return Promise.resolve('done');
  }
  offsets(call: Call): number[] {
    return call.msgs.map((m) => m.offset);
  }
}

const rec = (partition: number, offset: number, key: string | null = null): Message =>
  ({ topic: 't', partition, offset, key, value: Buffer.from('{}'), size: 2 }) as Message;
const start = (partition: number, offset: number): PartitionStart =>
  ({ partition, offset, reason: 'committed', committed: null, commit: false, skipped: 0 }) as PartitionStart;

function setup(opts: { ordering?: OrderingMode; maxInFlight?: number; batchSize?: number; batchWaitMs?: number; partitions?: number } = {}) {
  const policy = {
    ordering: opts.ordering ?? 'unordered',
    maxInFlight: opts.maxInFlight ?? 4,
    batchSize: opts.batchSize ?? 1,
    batchWaitMs: opts.batchWaitMs ?? 0,
  } as DeliveryPolicySpec;
  const ledger = new PartitionLedger('t', policy, 100, { skipped: () => undefined, rewound: () => undefined });
  for (let p = 0; p < (opts.partitions ?? 2); p++) ledger.assign(p, start(p, 0), null);
  const sink = new FakeSink();
  const state = { running: true, blocked: false, held: false };
  const released: Array<{ partition: number; counted: boolean }> = [];
  const host: DispatchHost = {
    policy: () => policy,
    limit: () => policy.maxInFlight,
    running: () => state.running,
    blocked: () => state.blocked,
    held: () => state.held,
    released: (st: PartitionState, counted: boolean) => released.push({ partition: st.partition, counted }),
    wantRecords: () => undefined,
    logUnexpected: jest.fn(),
  };
  const d = new RecordDispatcher(policy.ordering, ledger, sink, host);
  const push = (...msgs: Message[]) => {
    for (const m of msgs) if (ledger.admit(m, () => ({ low: -1, high: -1 }))) d.push(m);
  };
  const done = (partition: number) => ledger.doneOffsets(() => undefined, [partition])[0]?.offset;
  return { d, ledger, sink, state, released, host, push, policy, done };
}

describe('RecordDispatcher', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('keeps at most the limit in flight and starts the next as one settles', async () => {
    const { d, sink, push, done } = setup({ maxInFlight: 2, partitions: 1 });
    push(rec(0, 0), rec(0, 1), rec(0, 2));
    d.dispatch();
    expect(sink.calls.map((c) => sink.offsets(c))).toEqual([[0], [1]]);
    expect(d.recordsInFlight).toBe(2);
    sink.calls[1].resolve('done');
    await jest.advanceTimersByTimeAsync(0);
    expect(sink.calls).toHaveLength(3);
    expect(done(0)).toBeUndefined();
    sink.calls[0].resolve('done');
    sink.calls[2].resolve('done');
    await jest.advanceTimersByTimeAsync(0);
    expect(done(0)).toBe(3);
    expect(d.recordsInFlight).toBe(0);
  });

  it('partition order: one record of a partition at a time', async () => {
    const { d, sink, push } = setup({ ordering: 'partition' });
    push(rec(0, 0), rec(0, 1), rec(1, 0));
    d.dispatch();
    expect(sink.calls.map((c) => c.msgs[0].partition)).toEqual([0, 1]);
    sink.calls[0].resolve('done');
    await jest.advanceTimersByTimeAsync(0);
    expect(sink.offsets(sink.calls[2])).toEqual([1]);
  });

  it('a full batch goes at once; a partial one lingers batchWaitMs and then goes as it is', async () => {
    const { d, sink, push } = setup({ batchSize: 3, batchWaitMs: 100 });
    push(rec(0, 0), rec(0, 1), rec(0, 2), rec(1, 0));
    d.dispatch();
    expect(sink.calls).toHaveLength(1);
    expect(sink.calls[0].batch).toBe(true);
    expect(sink.calls[0].msgs).toHaveLength(3);
    await jest.advanceTimersByTimeAsync(99);
    expect(sink.calls).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(2);
    expect(sink.calls).toHaveLength(2);
    expect(sink.calls[1].msgs.map((m) => `${m.partition}:${m.offset}`)).toEqual(['1:0']);
  });

  it('a batch whose partition is revoked in part still goes; only the live members are counted done', async () => {
    const { d, ledger, sink, push, released } = setup({ batchSize: 4 });
    push(rec(0, 0), rec(0, 1), rec(1, 0), rec(1, 1));
    d.dispatch();
    const call = sink.calls[0];
    ledger.revoke([0]);
    expect(call.signal.aborted).toBe(false);
    call.resolve('done');
    await jest.advanceTimersByTimeAsync(0);
    expect(released).toEqual([
      { partition: 0, counted: false },
      { partition: 0, counted: false },
      { partition: 1, counted: true },
      { partition: 1, counted: true },
    ]);
  });

  it('a batch is cancelled when every member partition is revoked, and its records are not retried', async () => {
    const { d, ledger, sink, push, released } = setup({ batchSize: 4 });
    push(rec(0, 0), rec(1, 0));
    d.dispatch();
    const call = sink.calls[0];
    ledger.revoke([0, 1]);
    expect(call.signal.aborted).toBe(true);
    call.resolve('abandoned');
    await jest.advanceTimersByTimeAsync(5000);
    expect(sink.calls).toHaveLength(1);
    expect(released.map((r) => r.counted)).toEqual([false, false]);
    expect(d.recordsInFlight).toBe(0);
  });

  it('a record given up while the consumer runs and owns it goes again after 1 s, keeping its lane', async () => {
    const { d, sink, push, done } = setup({ ordering: 'partition', partitions: 1 });
    push(rec(0, 0), rec(0, 1));
    d.dispatch();
    sink.calls[0].resolve('abandoned');
    await jest.advanceTimersByTimeAsync(999);
    expect(sink.calls).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(sink.calls.map((c) => sink.offsets(c))).toEqual([[0], [0]]);
    sink.calls[1].resolve('done');
    await jest.advanceTimersByTimeAsync(0);
    expect(sink.offsets(sink.calls[2])).toEqual([1]);
    sink.calls[2].resolve('done');
    await jest.advanceTimersByTimeAsync(0);
    expect(done(0)).toBe(2);
  });

  it('a unit kproxy fails on three times in a row is dead-lettered record by record', async () => {
    const { d, sink, push, done, host } = setup({ batchSize: 2, partitions: 1 });
    push(rec(0, 0), rec(0, 1));
    d.dispatch();
    for (let i = 0; i < 3; i++) {
      sink.calls[i].reject(new TypeError('bug'));
      await jest.advanceTimersByTimeAsync(1000 * (i + 1));
    }
    expect(sink.calls).toHaveLength(3);
    expect(sink.deadLettered).toEqual([
      { offset: 0, failures: 3 },
      { offset: 1, failures: 3 },
    ]);
    expect(done(0)).toBe(2);
    expect(host.logUnexpected).toHaveBeenLastCalledWith(
      'unexpected error while processing a batch; dead-lettering its records',
      expect.objectContaining({ records: 2, failures: 3 }),
    );
  });

  it('a member whose dead letter cannot be written goes round again alone', async () => {
    const { d, sink, push, done } = setup({ batchSize: 2, partitions: 1 });
    sink.deadLetterFails.add(1);
    push(rec(0, 0), rec(0, 1));
    d.dispatch();
    for (let i = 0; i < 3; i++) {
      sink.calls[i].reject(new Error('bug'));
      await jest.advanceTimersByTimeAsync(1000 * (i + 1));
    }
    expect(sink.deadLettered.map((x) => x.offset)).toEqual([0]);
    sink.deadLetterFails.clear();
    await jest.advanceTimersByTimeAsync(1000);
    // The retry sends the one record left (its unit), not the stored one.
    expect(sink.offsets(sink.calls[3])).toEqual([1]);
    sink.calls[3].resolve('done');
    await jest.advanceTimersByTimeAsync(0);
    expect(done(0)).toBe(2);
  });

  it('holds new deliveries while held, and dispatches nothing at all while blocked', () => {
    const { d, sink, push, state } = setup();
    push(rec(0, 0));
    state.held = true;
    d.dispatch();
    expect(sink.calls).toHaveLength(0);
    state.held = false;
    state.blocked = true;
    d.dispatch();
    expect(sink.calls).toHaveLength(0);
    state.blocked = false;
    d.dispatch();
    expect(sink.calls).toHaveLength(1);
  });

  it('a stop drains holes despite a hold and drops what lies past everything started', async () => {
    const { d, sink, push, state, released } = setup({ ordering: 'key', partitions: 1 });
    // Key mode: b's record 1 starts while a's record 2 waits behind a's record 0.
    push(rec(0, 0, 'a'), rec(0, 1, 'b'), rec(0, 2, 'a'), rec(0, 3, 'b'));
    state.running = true;
    d.dispatch();
    expect(sink.calls.map((c) => sink.offsets(c))).toEqual([[0], [1]]);
    state.running = false;
    state.held = true;
    const drained = d.drain(true, 10_000);
    sink.calls[0].resolve('done');
    sink.calls[1].resolve('done');
    await jest.advanceTimersByTimeAsync(0);
    // Holes are buffered records below the highest started offset (1): none; 2 and 3 are dropped.
    expect(sink.calls).toHaveLength(2);
    await expect(drained).resolves.toBe(true);
    expect(released.map((r) => r.counted)).toEqual([true, true]);
  });

  it('the drain finishes a hole below a started record', async () => {
    const { d, sink, push, state } = setup({ ordering: 'key', partitions: 1 });
    push(rec(0, 0, 'a'), rec(0, 1, 'a'), rec(0, 2, 'b'));
    d.dispatch();
    expect(sink.calls.map((c) => sink.offsets(c))).toEqual([[0], [2]]);
    state.running = false;
    const drained = d.drain(true, 10_000);
    sink.calls[0].resolve('done');
    await jest.advanceTimersByTimeAsync(0);
    expect(sink.offsets(sink.calls[2])).toEqual([1]);
    sink.calls[1].resolve('done');
    sink.calls[2].resolve('done');
    await expect(drained).resolves.toBe(true);
  });

  it('a drain sends a partial batch at once instead of lingering', async () => {
    const { d, sink, push, state } = setup({ batchSize: 5, batchWaitMs: 60_000, partitions: 1 });
    push(rec(0, 0), rec(0, 1));
    d.dispatch();
    expect(sink.calls).toHaveLength(0);
    state.running = false;
    const drained = d.drain(true, 10_000);
    expect(sink.calls.map((c) => sink.offsets(c))).toEqual([[0, 1]]);
    sink.calls[0].resolve('done');
    await expect(drained).resolves.toBe(true);
  });

  it('a drain that may not finish holes (the consumer never ran) times out and releases the partial batch undone', async () => {
    const { d, sink, push, state, released } = setup({ batchSize: 5, batchWaitMs: 60_000, partitions: 1 });
    push(rec(0, 0), rec(0, 1));
    d.dispatch();
    state.running = false;
    const drained = d.drain(false, 1000);
    await jest.advanceTimersByTimeAsync(1000);
    await expect(drained).resolves.toBe(false);
    expect(sink.calls).toHaveLength(0);
    expect(released).toEqual([
      { partition: 0, counted: false },
      { partition: 0, counted: false },
    ]);
    expect(d.recordsInFlight).toBe(0);
  });
});
