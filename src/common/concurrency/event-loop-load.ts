import { performance, type EventLoopUtilization } from 'node:perf_hooks';

/** How long one reading of the event loop's utilization covers, ms. */
const WINDOW_MS = 250;
/** Utilization above which this process, not what it calls, is what limits it. */
const BUSY = 0.8;

/**
 * Whether this process's event loop is saturated, from Node's event-loop utilization
 * (performance.eventLoopUtilization, the share of time the loop was not idle) over the last
 * WINDOW_MS. Read lazily: a call costs one clock read except once per window.
 */
export class EventLoopLoad {
  private static last: EventLoopUtilization = performance.eventLoopUtilization();
  private static lastAt = performance.now();
  private static busyNow = false;

  /** True when the loop was busy more than 80 % of the last window: answers wait for the loop, not the network. */
  static busy(): boolean {
    const now = performance.now();
    if (now - EventLoopLoad.lastAt >= WINDOW_MS) {
      const current = performance.eventLoopUtilization();
      EventLoopLoad.busyNow = performance.eventLoopUtilization(current, EventLoopLoad.last).utilization > BUSY;
      EventLoopLoad.last = current;
      EventLoopLoad.lastAt = now;
    }
    return EventLoopLoad.busyNow;
  }
}
