import type { KafkaTestClient } from '../support/kafka-client';
import type { DeliveryLedger } from './delivery-ledger';

/**
 * Reads a group's committed offsets every 100 ms while a fault scenario runs and checks each
 * against what the endpoint had acknowledged by then: a committed offset past a record the sink
 * never answered 2xx is a violation of at-least-once. Read errors (the broker is down) are skipped.
 */
export class CommitWatcher {
  /** Watchers not stopped yet: a scenario that fails half-way leaves its own for stopAll. */
  private static readonly live = new Set<CommitWatcher>();
  samples = 0;
  readonly violations: string[] = [];
  /** Each violation once, not once per sample that sees it again. */
  private readonly seen = new Set<string>();
  private watching = true;
  private readonly loop: Promise<void>;

  constructor(client: KafkaTestClient, ledger: DeliveryLedger, groupId: string, topic: string, partitions: number) {
    this.loop = (async () => {
      while (this.watching) {
        try {
          const committed = await client.committed(groupId, topic, partitions);
          const acked = new Set(ledger.deliveries().map((d) => `${d.partition}:${d.offset}`));
          this.samples++;
          for (let p = 0; p < partitions; p++) {
            for (let o = 0; o < committed[p]; o++) {
              const key = `${p}:${committed[p]}:${o}`;
              if (!acked.has(`${p}:${o}`) && !this.seen.has(key)) {
                this.seen.add(key);
                this.violations.push(`partition ${p} committed ${committed[p]} before offset ${o} was acknowledged (${new Date().toISOString()})`);
              }
            }
          }
        } catch {
          // No coordinator to ask right now: nothing to check until it returns.
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    CommitWatcher.live.add(this);
  }

  /** Stops every watcher still running (an afterEach): a loop left polling keeps Jest from exiting. */
  static async stopAll(): Promise<void> {
    await Promise.all([...CommitWatcher.live].map((w) => w.stop()));
  }

  async stop(): Promise<void> {
    CommitWatcher.live.delete(this);
    this.watching = false;
    await this.loop;
  }
}
