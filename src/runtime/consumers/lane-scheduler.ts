import type { Message } from '@confluentinc/kafka-javascript';
import type { OrderingMode } from '../../delivery/delivery-spec';

interface Lane {
  readonly id: string;
  queue: Message[];
  head: number;
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
  private ready: Lane[] = [];
  private readyHead = 0;
  private free: Message[] = [];
  private freeHead = 0;
  private count = 0;

  constructor(private mode: OrderingMode) {}

  get queued(): number {
    return this.count;
  }

  /** Switching modes is only safe with nothing buffered or in flight; the consumer ensures it. */
  setMode(mode: OrderingMode): void {
    this.mode = mode;
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
      lane = { id, queue: [], head: 0, busy: 0, ready: false };
      this.lanes.set(id, lane);
    }
    lane.queue.push(msg);
    if (!lane.busy && !lane.ready) this.markReady(lane);
  }

  /** A record that may start now (its lane becomes busy), or undefined. */
  next(): Message | undefined {
    if (this.freeHead < this.free.length) {
      const msg = this.free[this.freeHead];
      this.free[this.freeHead++] = undefined as unknown as Message;
      if (this.freeHead === this.free.length) {
        this.free = [];
        this.freeHead = 0;
      }
      this.count--;
      return msg;
    }
    while (this.readyHead < this.ready.length) {
      const lane = this.ready[this.readyHead];
      this.ready[this.readyHead++] = undefined as unknown as Lane;
      if (this.readyHead === this.ready.length) {
        this.ready = [];
        this.readyHead = 0;
      }
      lane.ready = false;
      if (lane.head >= lane.queue.length) continue;
      const msg = lane.queue[lane.head];
      lane.queue[lane.head++] = undefined as unknown as Message;
      lane.busy++;
      this.count--;
      return msg;
    }
    return undefined;
  }

  /** The record that `next` gave out has settled (done or given up): its lane may go on. */
  settle(msg: Message): void {
    if (this.mode === 'unordered') return;
    const lane = this.lanes.get(this.laneId(msg));
    if (!lane) return;
    lane.busy--;
    if (lane.busy > 0) return;
    if (lane.head < lane.queue.length) this.markReady(lane);
    else this.lanes.delete(lane.id);
  }

  /** Forgets buffered records of a partition (revoked or stopping); in-flight ones settle later. */
  dropPartition(partition: number): void {
    const keep = (m: Message) => m.partition !== partition;
    if (this.freeHead < this.free.length) {
      this.free = this.free.slice(this.freeHead).filter(keep);
      this.freeHead = 0;
    }
    let remaining = this.free.length;
    for (const lane of this.lanes.values()) {
      lane.queue = lane.queue.slice(lane.head).filter(keep);
      lane.head = 0;
      remaining += lane.queue.length;
      if (lane.queue.length === 0 && lane.busy === 0) this.lanes.delete(lane.id);
    }
    this.count = remaining;
  }

  clear(): void {
    for (const lane of [...this.lanes.values()]) {
      lane.queue = [];
      lane.head = 0;
      if (lane.busy === 0) this.lanes.delete(lane.id);
    }
    this.free = [];
    this.freeHead = 0;
    this.ready = [];
    this.readyHead = 0;
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
