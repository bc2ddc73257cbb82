import type { Message } from '@confluentinc/kafka-javascript';
import { LaneScheduler } from './lane-scheduler';

let offsets = 0;
const rec = (partition: number, key: string | null = null): Message =>
  ({ topic: 't', partition, offset: offsets++, key, value: Buffer.from('{}'), size: 2 }) as Message;

const drain = (s: LaneScheduler): Message[] => {
  const out: Message[] = [];
  for (let m = s.next(); m; m = s.next()) out.push(m);
  return out;
};

describe('LaneScheduler', () => {
  it('partition mode: one record per partition at a time, in order', () => {
    const s = new LaneScheduler('partition');
    const [a1, a2, b1] = [rec(0), rec(0), rec(1)];
    [a1, a2, b1].forEach((m) => s.push(m));
    expect(drain(s)).toEqual([a1, b1]);
    s.settle(a1);
    expect(drain(s)).toEqual([a2]);
    expect(s.queued).toBe(0);
  });

  it('key mode: same key in order, different keys (and partitions) concurrently', () => {
    const s = new LaneScheduler('key');
    const x1 = rec(0, 'x');
    const y1 = rec(0, 'y');
    const x2 = rec(1, 'x');
    const z1 = rec(1, 'z');
    [x1, y1, x2, z1].forEach((m) => s.push(m));
    expect(drain(s)).toEqual([x1, y1, z1]);
    s.settle(y1);
    expect(drain(s)).toEqual([]);
    s.settle(x1);
    expect(drain(s)).toEqual([x2]);
  });

  it('nextInLane extends a batch with the same lane, in order, and the lane waits for all of it', () => {
    const s = new LaneScheduler('key');
    const [x1, x2, y1, x3] = [rec(0, 'x'), rec(0, 'x'), rec(0, 'y'), rec(1, 'x')];
    [x1, x2, y1, x3].forEach((m) => s.push(m));
    expect(s.next()).toBe(x1);
    expect(s.nextInLane(x1)).toBe(x2);
    expect(s.nextInLane(x2)).toBe(x3);
    expect(s.nextInLane(x3)).toBeUndefined();
    expect(s.queued).toBe(1);
    s.push(rec(2, 'x'));
    s.settle(x1);
    s.settle(x2);
    expect(drain(s)).toEqual([y1]);
    s.settle(x3);
    expect(drain(s).map((m) => m.partition)).toEqual([2]);
  });

  it('nextInLane gives nothing in unordered mode or for a lane that is not out', () => {
    const u = new LaneScheduler('unordered');
    const a = rec(0);
    u.push(a);
    u.push(rec(0));
    expect(u.nextInLane(a)).toBeUndefined();
    const p = new LaneScheduler('partition');
    const b = rec(5);
    p.push(b);
    expect(p.nextInLane(b)).toBeUndefined();
  });

  it('counts no runnable records for a dropped partition', () => {
    const s = new LaneScheduler('key');
    [rec(0, 'a'), rec(0, 'b'), rec(1, 'c')].forEach((m) => s.push(m));
    expect(s.runnable).toBe(3);
    s.dropPartition(0);
    expect(s.runnable).toBe(1);
    expect(drain(s).map((m) => m.key)).toEqual(['c']);
  });

  it('key mode keeps keyless records in partition order', () => {
    const s = new LaneScheduler('key');
    const [n1, n2] = [rec(3), rec(3)];
    [n1, n2].forEach((m) => s.push(m));
    expect(drain(s)).toEqual([n1]);
    s.settle(n1);
    expect(drain(s)).toEqual([n2]);
  });

  it('unordered mode: everything may start', () => {
    const s = new LaneScheduler('unordered');
    const ms = [rec(0, 'a'), rec(0, 'a'), rec(1)];
    ms.forEach((m) => s.push(m));
    expect(drain(s)).toEqual(ms);
  });

  it('keeps per-key order under random completion order', () => {
    const s = new LaneScheduler('key');
    const keys = ['a', 'b', 'c', 'd'];
    const sent: Message[] = [];
    for (let i = 0; i < 400; i++) s.push(rec(i % 3, keys[(i * 7) % 4]));
    const inFlight: Message[] = [];
    let seed = 42;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    while (s.queued > 0 || inFlight.length > 0) {
      for (let m = s.next(); m && inFlight.length < 3; m = inFlight.length < 2 ? s.next() : undefined) {
        inFlight.push(m);
        sent.push(m);
      }
      const i = Math.floor(random() * inFlight.length);
      const [done] = inFlight.splice(i, 1);
      if (done) s.settle(done);
    }
    expect(sent).toHaveLength(400);
    for (const key of keys) {
      const order = sent.filter((m) => m.key === key).map((m) => m.offset);
      expect(order).toEqual([...order].sort((a, b) => a - b));
    }
  });

  it('drops a revoked partition but keeps its lane busy until the in-flight record settles', () => {
    const s = new LaneScheduler('partition');
    const [a1, a2] = [rec(0), rec(0)];
    [a1, a2].forEach((m) => s.push(m));
    expect(s.next()).toBe(a1);
    s.dropPartition(0);
    expect(s.queued).toBe(0);
    const a3 = rec(0);
    s.push(a3);
    expect(s.next()).toBeUndefined();
    s.settle(a1);
    expect(s.next()).toBe(a3);
  });
});
