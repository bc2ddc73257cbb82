/**
 * Per-partition acknowledgement tracking. Offsets are tracked in arrival order (increasing, with
 * possible gaps); completions may arrive in any order. The committable offset is the one after
 * the contiguous prefix of done records, so a commit never passes a record that is not done.
 */
export class OffsetTracker {
  private offsets: number[] = [];
  private done: boolean[] = [];
  private head = 0;
  private doneAhead = 0;
  private committable: number | undefined;
  private last = -1;

  /** Offsets tracked and not yet released by the done prefix (window size). */
  get pending(): number {
    return this.offsets.length - this.head;
  }

  /** Done records that still wait behind an undone head. */
  get doneBehindHead(): number {
    return this.doneAhead;
  }

  /**
   * Starts a fresh tracker at `offset`, with every earlier record known to be done: the next
   * commit covers them even if no record after them is done.
   */
  resumeAt(offset: number): void {
    if (this.offsets.length > 0) throw new Error('resumeAt is only for a tracker that has tracked nothing');
    this.committable = offset;
    this.last = offset - 1;
  }

  track(offset: number): void {
    if (offset <= this.last) throw new Error(`offset ${offset} tracked out of order after ${this.last}`);
    this.last = offset;
    this.offsets.push(offset);
    this.done.push(false);
  }

  markDone(offset: number): void {
    const i = this.indexOf(offset);
    if (i < 0 || this.done[i]) return;
    this.done[i] = true;
    this.doneAhead++;
    while (this.head < this.offsets.length && this.done[this.head]) {
      this.committable = this.offsets[this.head] + 1;
      this.head++;
      this.doneAhead--;
    }
    if (this.head > 1024 && this.head * 2 > this.offsets.length) this.compact();
  }

  /** Next offset to commit, or undefined when nothing new is done since tracking began. */
  nextCommit(): number | undefined {
    return this.committable;
  }

  private indexOf(offset: number): number {
    let lo = this.head;
    let hi = this.offsets.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.offsets[mid];
      if (v === offset) return mid;
      if (v < offset) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  private compact(): void {
    this.offsets = this.offsets.slice(this.head);
    this.done = this.done.slice(this.head);
    this.head = 0;
  }
}
