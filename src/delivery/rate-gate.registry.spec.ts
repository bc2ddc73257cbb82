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
});

function rateOf(gate: object): number {
  return (gate as unknown as { rate: number }).rate;
}
