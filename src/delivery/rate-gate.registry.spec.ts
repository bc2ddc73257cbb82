import { RateGateRegistry } from './rate-gate.registry';

describe('RateGateRegistry', () => {
  let registry: RateGateRegistry;
  beforeEach(() => (registry = new RateGateRegistry()));
  afterEach(() => registry.onApplicationShutdown());

  it('gives each subscription without a group its own gate', () => {
    const a = registry.attach(1, null, 10);
    const b = registry.attach(2, null, 10);
    expect(a).not.toBe(b);
    expect(registry.existing(1)).toBe(a);
    expect(registry.attach(1, null, 20)).toBe(a);
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
    expect(registry.existing(99, 'billing-api')).toBe(a);
  });

  it('moves a subscription between gates when its group changes', () => {
    const grouped = registry.attach(1, 'g', 5);
    registry.attach(2, 'g', 50);
    const own = registry.attach(1, null, 5);
    expect(own).not.toBe(grouped);
    expect(rateOf(grouped)).toBe(50);
  });

  it('closes a group gate when its last member leaves', async () => {
    const gate = registry.attach(1, 'g', 1);
    await gate.acquire();
    const waiting = gate.acquire();
    registry.remove(1);
    await expect(waiting).rejects.toThrow('closed');
    expect(registry.existing(1, 'g')).toBeUndefined();
  });
});

function rateOf(gate: object): number {
  return (gate as unknown as { rate: number }).rate;
}
