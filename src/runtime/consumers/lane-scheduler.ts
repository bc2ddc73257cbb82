import type { Message } from '@confluentinc/kafka-javascript';
import type { OrderingMode } from '../../model/delivery-spec';
import { Fifo } from './fifo';

interface Lane {
  readonly id: string;
  readonly queue: Fifo<Message>;
  busy: number;
  ready: boolean;
}

/**
 * Decides which buffered record may start next under an ordering mode. Records of one lane run
 * one at a time, in arrival order; lanes run concurrently. partition: a lane per partition.
 * key: a lane per record key (keyless records keep partition order). unordered: no lanes.
 * Lanes outlive a revoke, so a record still in flight from a previous assignment keeps later
 * records of its lane waiting until it settles.
 */
export class LaneScheduler {
  private readonly lanes = new Map<string, Lane>();
  private readonly ready = new Fifo<Lane>();
  private readonly free = new Fifo<Message>();
  private count = 0;

  constructor(private readonly mode: OrderingMode) {}

  get queued(): number {
    return this.count;
  }

  /** Records that could start now: loose ones plus one per ready lane (the rest wait on their lane). */
  get runnable(): number {
    return this.free.size + this.ready.size;
  }

  push(msg: Message): void {
    this.count++;
    if (this.mode === 'unordered') {
      this.free.push(msg);
      return;
    }
    const id = this.laneId(msg);
    let lane = this.lanes.get(id);
    if (!lane) {
      lane = { id, queue: new Fifo<Message>(), busy: 0, ready: false };
      this.lanes.set(id, lane);
    }
    lane.queue.push(msg);
    if (!lane.busy && !lane.ready) this.markReady(lane);
  }

  /** A record that may start now (its lane becomes busy), or undefined. */
  next(): Message | undefined {
    const loose = this.free.shift();
    if (loose) {
      this.count--;
      return loose;
    }
    for (let lane = this.ready.shift(); lane; lane = this.ready.shift()) {
      lane.ready = false;
      const msg = lane.queue.shift();
      if (!msg) continue;
      lane.busy++;
      this.count--;
      return msg;
    }
    return undefined;
  }

  /**
   * The next buffered record of the same lane as `msg`, which must be out (busy) already: it
   * joins the same batch, so the lane's order holds inside the batch. Undefined in unordered
   * mode or when the lane has nothing buffered.
   */
  nextInLane(msg: Message): Message | undefined {
    if (this.mode === 'unordered') return undefined;
    const lane = this.lanes.get(this.laneId(msg));
    if (!lane || lane.busy === 0) return undefined;
    const next = lane.queue.shift();
    if (!next) return undefined;
    lane.busy++;
    this.count--;
    return next;
  }

  /** The record that `next` gave out has settled (done or given up): its lane may go on. */
  settle(msg: Message): void {
    if (this.mode === 'unordered') return;
    const lane = this.lanes.get(this.laneId(msg));
    if (!lane) return;
    lane.busy--;
    if (lane.busy > 0) return;
    if (lane.queue.size > 0) this.markReady(lane);
    else this.lanes.delete(lane.id);
  }

  /** Forgets buffered records of a partition (revoked or stopping); in-flight ones settle later. */
  dropPartition(partition: number): void {
    this.retain((m) => m.partition !== partition);
  }

  /** Keeps only the buffered records that pass `keep`; lanes keep their order. */
  retain(keep: (m: Message) => boolean): void {
    this.free.retain(keep);
    let remaining = this.free.size;
    for (const lane of this.lanes.values()) {
      lane.queue.retain(keep);
      remaining += lane.queue.size;
      if (lane.queue.size === 0 && lane.busy === 0) this.lanes.delete(lane.id);
    }
    this.count = remaining;
    // Lanes just emptied or deleted must not count as runnable (that would throttle fetching).
    this.ready.retain((lane) => this.lanes.get(lane.id) === lane && lane.queue.size > 0);
  }

  clear(): void {
    for (const lane of [...this.lanes.values()]) {
      lane.queue.clear();
      if (lane.busy === 0) this.lanes.delete(lane.id);
    }
    this.free.clear();
    this.ready.clear();
    this.count = 0;
  }

  private markReady(lane: Lane): void {
    lane.ready = true;
    this.ready.push(lane);
  }

  private laneId(msg: Message): string {
    if (this.mode === 'key' && msg.key !== undefined && msg.key !== null) {
      return typeof msg.key === 'string' ? 'k' + msg.key : 'k' + (msg.key as Buffer).toString('latin1');
    }
    return 'p' + msg.partition;
  }
}
