import type { ReceivedRequest, SinkServer } from '../support/sink-server';

export interface Delivery {
  partition: number;
  offset: number;
  key: string;
  /** Index of the request among this path's requests, in arrival order. */
  index: number;
  status: number;
  request: ReceivedRequest;
}

export interface Figures {
  produced: number;
  delivered: number;
  duplicates: number;
  deadLettered: number;
  lost: number;
}

/**
 * What one path of the sink received, by Kafka coordinates (from the x-kafka-* headers), for
 * the scenarios' figures: distinct records delivered, duplicates, and per-key order.
 * Only requests the sink answered with 2xx count as deliveries.
 */
export class DeliveryLedger {
  constructor(
    private readonly sink: SinkServer,
    private readonly path: string,
  ) {}

  /** Requests to this path, successful or not, in arrival order. */
  requests(): ReceivedRequest[] {
    return this.sink.requests.filter((q) => q.path === this.path);
  }

  deliveries(): Delivery[] {
    const out: Delivery[] = [];
    const requests = this.requests();
    for (let index = 0; index < requests.length; index++) {
      const q = requests[index];
      const status = q.status ?? 0;
      if (status < 200 || status >= 300) continue;
      out.push({
        partition: Number(q.headers['x-kafka-partition']),
        offset: Number(q.headers['x-kafka-offset']),
        key: String(q.headers['x-kafka-key'] ?? ''),
        index,
        status,
        request: q,
      });
    }
    return out;
  }

  distinct(): number {
    return new Set(this.deliveries().map(coordinates)).size;
  }

  figures(produced: number, deadLettered: number): Figures {
    const all = this.deliveries();
    const delivered = new Set(all.map(coordinates)).size;
    return { produced, delivered, duplicates: all.length - delivered, deadLettered, lost: produced - delivered - deadLettered };
  }

  /**
   * Keys whose records first arrived out of offset order. Records of one key share a partition,
   * so their offsets order them; a replay after a crash may repeat earlier ones, but the first
   * arrival of each must follow the one before it.
   */
  keyOrderViolations(): string[] {
    const last = new Map<string, number>();
    const seen = new Set<string>();
    const bad = new Set<string>();
    for (const d of this.deliveries()) {
      const id = coordinates(d);
      if (seen.has(id)) continue;
      seen.add(id);
      const prev = last.get(d.key);
      if (prev !== undefined && d.offset < prev) bad.add(d.key);
      last.set(d.key, d.offset);
    }
    return [...bad];
  }
}

export function coordinates(d: { partition: number; offset: number }): string {
  return `${d.partition}:${d.offset}`;
}

/** The line every scenario ends with, so a run's figures can be read off the log. */
export function report(scenario: string, f: Figures, extra = '', suite = 'faults'): void {
  process.stdout.write(
    `[${suite}] ${scenario}: produced ${f.produced}, delivered ${f.delivered}, duplicates ${f.duplicates}, dead-lettered ${f.deadLettered}, lost ${f.lost}${extra ? `; ${extra}` : ''}\n`,
  );
}

/** A small seeded generator, so "random" moments can be replayed from the printed seed. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
