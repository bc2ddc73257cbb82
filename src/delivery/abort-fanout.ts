type Listener = () => void;

/**
 * One AbortSignal shared by many concurrent requests, as undici's `signal` option takes it
 * (any object with `aborted`, `reason`, `addEventListener` and `removeEventListener`, per
 * undici's lib/api/api-request.js). Node's EventTarget walks its whole listener list on every
 * addEventListener to refuse duplicates (lib/internal/event_target.js), so 256 requests on one
 * partition's signal cost O(256) each; here adding and removing is O(1) (a Set), and the
 * underlying signal carries one listener however many requests wait on it.
 */
export class AbortFanout {
  private readonly listeners = new Set<Listener>();

  constructor(private readonly signal: AbortSignal) {
    signal.addEventListener('abort', () => this.fire(), { once: true });
  }

  get aborted(): boolean {
    return this.signal.aborted;
  }

  get reason(): unknown {
    return this.signal.reason;
  }

  /** Only 'abort' listeners exist; each fires once. */
  addEventListener(_type: 'abort', listener: Listener): void {
    if (this.signal.aborted) queueMicrotask(listener);
    else this.listeners.add(listener);
  }

  removeEventListener(_type: 'abort', listener: Listener): void {
    this.listeners.delete(listener);
  }

  private fire(): void {
    const listeners = [...this.listeners];
    this.listeners.clear();
    for (const listener of listeners) listener();
  }
}
