import type { ProxyProcess } from './proxy-process';

/** What the tests read of GET /api/instances. */
export interface InstanceView {
  instanceId: string;
  live: boolean;
  state: 'live' | 'stopped' | 'dead';
  self?: boolean;
  running: Array<{ subscriptionId: number; state: string; partitions: number[] }>;
  counters?: Record<string, { delivered: number }>;
}

/** The cluster as `node` sees it (GET /api/instances). @throws when it does not answer 200 */
export async function instancesVia(node: ProxyProcess): Promise<InstanceView[]> {
  const res = await node.api<InstanceView[]>('GET', '/api/instances');
  if (res.status !== 200) throw new Error(`GET /api/instances answered ${res.status}`);
  return res.body;
}

/** Live instances running the subscription, with their partitions, as `via` sees the cluster. */
export async function owners(via: ProxyProcess, id: number): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const inst of await instancesVia(via)) {
    if (!inst.live) continue;
    const c = inst.running.find((r) => r.subscriptionId === id && r.state === 'running');
    if (c) out[inst.instanceId] = c.partitions;
  }
  return out;
}

/** True when exactly `ids` run it, together owning every partition once, each at least `least`. */
export function sharedBy(owned: Record<string, number[]>, ids: readonly string[], partitions: number, least = 1): boolean {
  const holders = Object.keys(owned).sort();
  if (holders.join() !== [...ids].sort().join()) return false;
  if (holders.some((h) => owned[h].length < least)) return false;
  const all = holders.flatMap((h) => owned[h]);
  return all.length === partitions && new Set(all).size === partitions;
}
