import { PlacementMembers, type InstanceLiveness } from './placement-members';

const settings = { self: 'a', instanceTimeoutMs: 15_000, joinAfterMs: 5_000 };
const row = (id: string, ageMs: number, liveForMs: number, stopped = false): InstanceLiveness => ({ id, ageMs, liveForMs, stopped });

describe('PlacementMembers', () => {
  it('counts live instances past their join delay', () => {
    const m = new PlacementMembers(settings);
    const v = m.observe([row('a', 100, 60_000), row('b', 4_000, 60_000), row('c', 200, 1_000), row('d', 20_000, 90_000)], 0);
    expect(v.members).toEqual(['a', 'b']);
    expect(v.live).toEqual(['a', 'b', 'c']);
  });

  it('lets every live instance count while none has passed the join delay (a cluster starting)', () => {
    const m = new PlacementMembers(settings);
    expect(m.observe([row('b', 100, 100)], 0).members).toEqual(['a', 'b']);
    // Before its own first heartbeat this instance is live to itself.
    expect(m.observe([], 0).members).toEqual(['a']);
  });

  it('drops an instance that said goodbye or whose heartbeat timed out, not one that is merely late', () => {
    const m = new PlacementMembers(settings);
    expect(m.observe([row('a', 0, 60_000), row('b', 14_999, 60_000), row('c', 0, 60_000, true)], 0).members).toEqual(['a', 'b']);
    expect(m.observe([row('a', 0, 60_000), row('b', 15_000, 60_000)], 1).members).toEqual(['a']);
  });

  it('after an unreadable table keeps the members it knew for one timeout, unless they said goodbye', () => {
    const m = new PlacementMembers(settings);
    m.observe([row('a', 0, 60_000), row('b', 0, 60_000), row('c', 0, 60_000)], 0);
    m.readFailed();
    // Back after a 40 s outage: every beat failed meanwhile, so b's row is old and a's run restarted.
    const back = [row('a', 0, 0), row('b', 40_000, 0), row('c', 0, 0, true)];
    expect(m.observe(back, 40_000).members).toEqual(['a', 'b']);
    expect(m.observe(back, 54_999).members).toEqual(['a', 'b']);
    // b never came back within a timeout: now it is dead.
    expect(m.observe([row('a', 0, 15_000), row('b', 55_000, 0)], 55_000).members).toEqual(['a']);
  });

  it('does not hold on to anything on the first read after a failure at startup', () => {
    const m = new PlacementMembers(settings);
    m.readFailed();
    expect(m.observe([row('a', 0, 60_000), row('b', 30_000, 60_000)], 0).members).toEqual(['a']);
  });
});
