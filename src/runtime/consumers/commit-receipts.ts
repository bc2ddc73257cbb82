export interface CommittedOffset {
  readonly partition: number;
  readonly offset: number;
}

export type CommitOutcome = { readonly ok: true } | { readonly ok: false; readonly error: string; readonly code?: number };

interface Waiter {
  readonly resolve: (outcome: CommitOutcome) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * Pairs asynchronous offset commits with the broker's answers. librdkafka's commit callback
 * only says the commit was queued; the answer arrives later through offset_commit_cb, carrying
 * the partitions and offsets it was for. Until that answer says success, the offsets must not
 * count as committed, or a failed commit would never be retried.
 */
export class CommitReceipts {
  private readonly waiting = new Map<string, Waiter[]>();

  /** Resolves with the broker's answer for exactly these offsets, or a failure after timeoutMs. */
  expect(offsets: readonly CommittedOffset[], timeoutMs: number): Promise<CommitOutcome> {
    const key = CommitReceipts.key(offsets);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.remove(key, waiter);
        resolve({ ok: false, error: `no answer to the offset commit within ${timeoutMs} ms` });
      }, timeoutMs);
      const waiter: Waiter = { resolve, timer };
      const list = this.waiting.get(key);
      if (list) list.push(waiter);
      else this.waiting.set(key, [waiter]);
    });
  }

  /** An answer from offset_commit_cb. False when nobody waited for it (a late or sync commit). */
  settle(err: { message: string; code?: number } | null | undefined, offsets: readonly CommittedOffset[]): boolean {
    const key = CommitReceipts.key(offsets);
    const list = this.waiting.get(key);
    const waiter = list?.shift();
    if (!waiter) return false;
    if (list!.length === 0) this.waiting.delete(key);
    clearTimeout(waiter.timer);
    waiter.resolve(err ? { ok: false, error: err.message, code: err.code } : { ok: true });
    return true;
  }

  /** Gives every waiter a failure (the client is closing and will not answer). */
  abandon(why: string): void {
    for (const list of this.waiting.values()) {
      for (const w of list) {
        clearTimeout(w.timer);
        w.resolve({ ok: false, error: why });
      }
    }
    this.waiting.clear();
  }

  get pending(): number {
    let n = 0;
    for (const list of this.waiting.values()) n += list.length;
    return n;
  }

  private remove(key: string, waiter: Waiter): void {
    const list = this.waiting.get(key);
    if (!list) return;
    const i = list.indexOf(waiter);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.waiting.delete(key);
  }

  private static key(offsets: readonly CommittedOffset[]): string {
    return offsets
      .map((o) => `${o.partition}:${o.offset}`)
      .sort()
      .join(',');
  }
}
