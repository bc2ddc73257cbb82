import { RendezvousPlacement } from './rendezvous-placement';

const ids = Array.from({ length: 1000 }, (_, i) => i + 1);
const names = (n: number) => Array.from({ length: n }, (_, i) => `kproxy-${String.fromCharCode(97 + i)}`);

function load(members: string[], replicas: number): Map<string, number> {
  const count = new Map(members.map((m) => [m, 0]));
  for (const id of ids) for (const m of RendezvousPlacement.place(id, [], replicas, members).instances) count.set(m, count.get(m)! + 1);
  return count;
}

describe('RendezvousPlacement', () => {
  it.each([
    [3, 1],
    [3, 2],
    [4, 2],
    [5, 2],
    [5, 3],
  ])('spreads 1000 subscriptions evenly over %i instances with replicas %i', (n, replicas) => {
    const members = names(n);
    const count = load(members, replicas);
    const expected = (ids.length * replicas) / n;
    for (const [, c] of count) {
      // Binomial spread: a few standard deviations of sqrt(1000·p·(1−p)) ≈ 15 records.
      expect(Math.abs(c - expected)).toBeLessThan(expected * 0.15);
    }
    expect([...count.values()].reduce((a, b) => a + b, 0)).toBe(ids.length * replicas);
  });

  it('gives every subscription min(replicas, members) distinct instances', () => {
    for (const id of ids.slice(0, 100)) {
      expect(new Set(RendezvousPlacement.place(id, [], 2, names(3)).instances).size).toBe(2);
      expect(RendezvousPlacement.place(id, [], 5, names(3)).instances).toHaveLength(3);
    }
  });

  it('is the same whatever order the members are listed in', () => {
    const members = names(5);
    const reversed = [...members].reverse();
    for (const id of ids.slice(0, 200)) {
      expect(RendezvousPlacement.place(id, [], 2, reversed).instances).toEqual(RendezvousPlacement.place(id, [], 2, members).instances);
    }
  });

  it('moves only what the joining instance takes: about replicas/n, and nothing between the others', () => {
    const before = names(3);
    const after = names(4);
    let moved = 0;
    for (const id of ids) {
      const a = new Set(RendezvousPlacement.place(id, [], 2, before).instances);
      const b = RendezvousPlacement.place(id, [], 2, after).instances;
      for (const m of b)
        if (!a.has(m)) {
          // Whatever starts somewhere new starts on the newcomer.
          expect(m).toBe(after[3]);
          moved++;
        }
    }
    // The newcomer takes its fair share (1000 · 2/4 = 500 placements), give or take the spread.
    expect(moved).toBeGreaterThan(420);
    expect(moved).toBeLessThan(580);
  });

  it('moves only what the leaving instance ran', () => {
    const before = names(4);
    const gone = before[1];
    const after = before.filter((m) => m !== gone);
    for (const id of ids) {
      const a = RendezvousPlacement.place(id, [], 2, before).instances;
      const b = RendezvousPlacement.place(id, [], 2, after).instances;
      if (!a.includes(gone)) expect(b).toEqual(a);
      else expect(b.filter((m) => a.includes(m))).toEqual(a.filter((m) => m !== gone));
    }
  });

  it('keeps pinning by hosts, whatever replicas and members say', () => {
    const d = RendezvousPlacement.place(7, ['b', 'z'], 1, ['a', 'b', 'c']);
    expect(d).toEqual({ mode: 'pinned', instances: ['b', 'z'], reason: 'pinned by hosts: b, z' });
  });

  it('says why', () => {
    const d = RendezvousPlacement.place(7, [], 2, ['a', 'b', 'c']);
    expect(d.mode).toBe('rendezvous');
    expect(d.reason).toBe(`rendezvous: 2 of 3 live instances: ${d.instances.join(', ')}`);
    expect(RendezvousPlacement.place(7, [], 2, [])).toEqual({ mode: 'waiting', instances: [], reason: 'waiting: no live instance' });
    expect(RendezvousPlacement.place(7, [], 2, ['a']).reason).toBe('rendezvous: 1 of 1 live instance: a');
  });

  it('refuses a replicas count that is not a whole number of at least 1', () => {
    expect(() => RendezvousPlacement.place(1, [], 0, ['a'])).toThrow(/replicas must be a whole number of at least 1, got 0/);
    expect(() => RendezvousPlacement.place(1, [], 1.5, ['a'])).toThrow(RangeError);
  });
});
