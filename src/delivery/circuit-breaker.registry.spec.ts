import { JsonLogger } from '../common/logging/json.logger';
import type { CircuitBreakerSpec } from '../model/delivery-spec';
import { CircuitBreakerRegistry } from './circuit-breaker.registry';

const SPEC: CircuitBreakerSpec = { enabled: true, failureRatio: 0.5, minFailures: 3, windowMs: 10_000, probeIntervalMs: 60_000, maxProbeIntervalMs: 60_000 };

describe('CircuitBreakerRegistry', () => {
  const make = () => {
    const lines: Array<Record<string, unknown>> = [];
    return { lines, registry: new CircuitBreakerRegistry(new JsonLogger('debug', (l) => lines.push(JSON.parse(l)))) };
  };

  it('shares one breaker per origin and settings, and gives different settings their own', () => {
    const { registry } = make();
    const a = registry.attach(1, 'http://api.example:80', SPEC);
    expect(registry.attach(2, 'http://api.example:80', SPEC)).toBe(a);
    expect(registry.attach(3, 'http://api.example:80', { ...SPEC, minFailures: 5 })).not.toBe(a);
    expect(registry.attach(4, 'http://other.example:80', SPEC)).not.toBe(a);
    registry.onApplicationShutdown();
  });

  it('logs each opening once, with the subscriptions it holds', () => {
    const { registry, lines } = make();
    const b = registry.attach(1, 'http://api.example:80', SPEC);
    registry.attach(2, 'http://api.example:80', SPEC);
    for (let i = 0; i < 3; i++) b.report('unavailable', false);
    expect(lines.filter((l) => l.msg === 'endpoint unavailable: circuit opened; records wait and probes go out')).toEqual([
      expect.objectContaining({ origin: 'http://api.example:80', subscriptions: [1, 2], opens: 1 }),
    ]);
    registry.onApplicationShutdown();
  });

  it('a subscription that moves to another endpoint takes its waiting records with it, even when others keep the old breaker open', async () => {
    const { registry } = make();
    const current = new Map<number, unknown>();
    const attach = (id: number, origin: string) => {
      const b = registry.attach(id, origin, SPEC);
      current.set(id, b);
      return b;
    };
    const old = attach(1, 'http://down.example:80');
    attach(2, 'http://down.example:80');
    for (let i = 0; i < 3; i++) old.report('unavailable', false);
    const waiting = old.admit(new AbortController().signal, () => current.get(1) === old);
    attach(1, 'http://failover.example:80');
    // Subscription 2 still holds the old breaker open; subscription 1's record is let go to look again.
    expect(await waiting).toBe(false);
    expect(old.state).toBe('open');
    registry.onApplicationShutdown();
  });
});
