/**
 * How one attempt at a part of a batch ended, after that part's own retries:
 * - `too_large`: the endpoint answered 413 Content Too Large (RFC 9110 §15.5.14): the body, not a
 *   record, is the problem, so the part is halved whatever the records are;
 * - `refused`: a non-retryable failure (a 4xx other than 408/429): some record in the part may be
 *   one the endpoint refuses, so the part is halved to find it;
 * - `final`: retries ran out (endpoint down, 5xx, timeouts): halving would multiply the load on a
 *   failing endpoint, so every record of the part fails with it.
 */
export type PartOutcome<F> = 'delivered' | 'abandoned' | { readonly kind: 'too_large' | 'refused' | 'final'; readonly failure: F };

/** A record's end: delivered, not done (the signal was aborted), or failed in a part of `partSize` records. */
export type MemberOutcome<F> = 'delivered' | 'abandoned' | { readonly failure: F; readonly partSize: number; readonly budgetSpent: boolean };

export interface BatchRun<F> {
  /** One per record, in the order given. */
  readonly members: Array<MemberOutcome<F>>;
  /** HTTP deliveries made (each with its own retries), first ones included. */
  readonly requests: number;
  /** Deliveries made because a part was halved. */
  readonly splits: number;
}

/**
 * Splits a batch into requests: first into consecutive parts whose JSON array body stays within
 * `maxBytes`, then, when a part is answered 413 or refused, into halves, recursively, so only the
 * records the endpoint refuses fail and the rest are delivered. Parts go strictly one after the
 * other, first half before second, so order within a lane holds.
 *
 * Cost: finding k refused records among n takes at most 2k·⌈log2 n⌉ extra requests (each level of
 * halving re-sends at most the k parts holding a refused record, two halves each), and never
 * more than 2(n−1) (all refused: every record ends up alone). So that an endpoint refusing
 * everything (say, one that takes no arrays) is not sent ~2n requests per batch, the extra
 * requests of one batch are capped at `budget(n)` = min(2(n−1), 2·findAtMost·⌈log2 n⌉): up to
 * `findAtMost` refused records are always found exactly; past that, a part still unresolved when
 * the budget is spent fails whole (its records are re-deliverable from the dead-letter store).
 * 413 halving draws on the same budget.
 */
export class BatchSplitter {
  /**
   * maxBytes: bytes of a JSON array body, `[` + bodies joined by `,` + `]`.
   * findAtMost: refused records per batch that halving is guaranteed to single out.
   */
  constructor(
    private readonly maxBytes: number,
    private readonly findAtMost = 8,
  ) {}

  /** Extra requests (beyond one per byte-capped part) a batch of n records may spend on halving. */
  budget(n: number): number {
    return n < 2 ? 0 : Math.min(2 * (n - 1), 2 * this.findAtMost * Math.ceil(Math.log2(n)));
  }

  /**
   * Consecutive [from, to) ranges over records of the given body sizes (bytes), each part's
   * array body within maxBytes. A record larger than maxBytes on its own goes alone.
   */
  parts(sizes: readonly number[]): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    let from = 0;
    let bytes = 2;
    for (let i = 0; i < sizes.length; i++) {
      const add = sizes[i] + (i > from ? 1 : 0);
      if (i > from && bytes + add > this.maxBytes) {
        out.push([from, i]);
        from = i;
        bytes = 2 + sizes[i];
      } else {
        bytes += add;
      }
    }
    if (sizes.length > from) out.push([from, sizes.length]);
    return out;
  }

  /**
   * Delivers records of the given body sizes (bytes) through `send(from, to)`, which makes one
   * delivery (with retries) of records [from, to) and says how it ended. Once a part is
   * abandoned nothing more is sent and every record not yet delivered is 'abandoned'.
   */
  async deliver<F>(sizes: readonly number[], send: (from: number, to: number) => Promise<PartOutcome<F>>): Promise<BatchRun<F>> {
    const members = new Array<MemberOutcome<F>>(sizes.length).fill('abandoned');
    let budget = this.budget(sizes.length);
    let requests = 0;
    let splits = 0;
    let abandoned = false;
    const run = async (from: number, to: number): Promise<void> => {
      if (abandoned) return;
      requests++;
      const outcome = await send(from, to);
      if (outcome === 'abandoned') {
        abandoned = true;
        return;
      }
      if (outcome === 'delivered') {
        members.fill('delivered', from, to);
        return;
      }
      const size = to - from;
      const halvable = size > 1 && outcome.kind !== 'final';
      if (halvable && budget >= 2) {
        budget -= 2;
        splits += 2;
        const mid = from + Math.ceil(size / 2);
        await run(from, mid);
        await run(mid, to);
        return;
      }
      members.fill({ failure: outcome.failure, partSize: size, budgetSpent: halvable }, from, to);
    };
    for (const [from, to] of this.parts(sizes)) await run(from, to);
    return { members, requests, splits };
  }
}
