import { RateGateRegistry } from './rate-gate.registry';

describe('RateGateRegistry', () => {
  let registry: RateGateRegistry;
  beforeEach(() => (registry = new RateGateRegistry()));
  afterEach(() => registry.onApplicationShutdown());

  it('gives each subscription without a group its own gate', () => {
    const a = registry.attach(1, null, 10);
    const b = registry.attach(2, null, 10);
    expect(a).not.toBe(b);
    expect(registry.attach(1, null, 20)).toBe(a);
    expect(rateOf(a)).toBe(20);
  });

  it('shares one gate within a group, held to the lowest positive rate', () => {
    const a = registry.attach(1, 'billing-api', 100);
    const b = registry.attach(2, 'billing-api', 0);
    expect(b).toBe(a);
    expect(rateOf(a)).toBe(100);
    registry.attach(3, 'billing-api', 40);
    expect(rateOf(a)).toBe(40);
    registry.remove(3);
    expect(rateOf(a)).toBe(100);
  });

  it('moves a subscription between gates when its group changes', () => {
    const grouped = registry.attach(1, 'g', 5);
    registry.attach(2, 'g', 50);
    const own = registry.attach(1, null, 5);
    expect(own).not.toBe(grouped);
    expect(rateOf(grouped)).toBe(50);
  });

  it('lends re-delivery the live gate, which keeps limiting after the consumer stops', async () => {
    const live = registry.attach(1, 'g', 5);
    const lent = registry.borrow(7, 'g', 5);
    expect(lent.gate).toBe(live);
    registry.remove(1);
    expect(rateOf(lent.gate)).toBe(5);
    lent.release();
    await expect(lent.gate.acquire()).rejects.toThrow('closed');
  });

  it('closes a gate when its last holder leaves, rejecting whoever still waits', async () => {
    const gate = registry.attach(1, 'g', 1);
    await gate.acquire();
    const waiting = gate.acquire();
    registry.remove(1);
    await expect(waiting).rejects.toThrow('closed');
  });

  describe('cluster-wide rates', () => {
    const cluster = (instances: Array<[number, number]>, groups: Array<[string, number, number]> = []) =>
      registry.setCluster({ instances: new Map(instances), groups: new Map(groups.map(([g, rate, subscriptions]) => [g, { rate, subscriptions }])) });

    it("takes the share of the subscription's partitions this instance owns", () => {
      cluster([[1, 3]]);
      const gate = registry.attach(1, null, 90);
      // No assignment yet: one instance's even slice of the three it is placed on.
      expect(rateOf(gate)).toBe(30);
      registry.setShare(1, 4 / 6);
      expect(rateOf(gate)).toBe(60);
      registry.setShare(1, 1 / 6);
      expect(rateOf(gate)).toBe(15);
      registry.setShare(1, 0);
      expect(rateOf(gate)).toBe(30);
    });

    it('sums to the whole rate over instances owning 2, 3 and 1 of 6 partitions', () => {
      const rates = [2, 3, 1].map((owned) => {
        const r = new RateGateRegistry();
        r.setCluster({ instances: new Map([[1, 3]]), groups: new Map() });
        const gate = r.attach(1, null, 100);
        r.setShare(1, owned / 6);
        const rate = rateOf(gate);
        r.onApplicationShutdown();
        return rate;
      });
      expect(rates.reduce((a, b) => a + b, 0)).toBeCloseTo(100, 9);
    });

    it('gives each running subscription of a group an equal slice, split over its partitions', () => {
      // Group of two: s1 has 2 partitions, s2 has 12. This instance owns 1 of s1's and 3 of s2's.
      cluster(
        [
          [1, 2],
          [2, 2],
        ],
        [['billing', 40, 2]],
      );
      const gate = registry.attach(1, 'billing', 40);
      expect(registry.attach(2, 'billing', 100)).toBe(gate);
      registry.setShare(1, 1 / 2);
      registry.setShare(2, 3 / 12);
      expect(rateOf(gate)).toBeCloseTo((40 * (1 / 2 + 3 / 12)) / 2, 9);
      // The other instance owns the rest: together the group's 40.
      const other = new RateGateRegistry();
      other.setCluster({
        instances: new Map([
          [1, 2],
          [2, 2],
        ]),
        groups: new Map([['billing', { rate: 40, subscriptions: 2 }]]),
      });
      const g2 = other.attach(1, 'billing', 40);
      other.attach(2, 'billing', 100);
      other.setShare(1, 1 / 2);
      other.setShare(2, 9 / 12);
      expect(rateOf(gate) + rateOf(g2)).toBeCloseTo(40, 9);
      other.onApplicationShutdown();
    });

    it('holds a re-delivery on an instance that runs none of it to one instance slice', () => {
      cluster([[1, 2]]);
      const lent = registry.borrow(1, null, 50);
      expect(rateOf(lent.gate)).toBe(25);
      lent.release();
      // A stopped subscription runs nowhere: its re-delivery has the whole rate.
      cluster([]);
      const again = registry.borrow(1, null, 50);
      expect(rateOf(again.gate)).toBe(50);
      again.release();
    });

    it('keeps the share when a live change moves the subscription into a group', () => {
      cluster([[1, 2]], [['g', 10, 1]]);
      registry.attach(1, null, 10);
      registry.setShare(1, 1);
      expect(rateOf(registry.attach(1, 'g', 10))).toBe(10);
    });

    it('refuses a share outside 0..1', () => {
      registry.attach(1, null, 10);
      expect(() => registry.setShare(1, 1.5)).toThrow('a partition share is between 0 and 1, got 1.5');
    });
  });
});

function rateOf(gate: object): number {
  return (gate as unknown as { rate: number }).rate;
}
