/**
 * The fraction of its topic's partitions a consumer owns, reported after every assignment and
 * revoke (RateGateRegistry.setShare turns it into this instance's part of a cluster-wide rate).
 * The topic's partition count comes from the client's metadata, asked on every change since
 * partitions may have been added; answers that arrive after a later change are dropped. Until
 * a count is known nothing is reported (the gate keeps its even slice).
 */
export class AssignmentShare {
  private partitions = 0;
  private asked = 0;
  private failing = false;

  /**
   * @param countPartitions the topic's partition count from the broker (rejects when it cannot tell)
   * @param report receives the share, 0..1
   * @param warn told once per run of failures that the count could not be read
   */
  constructor(
    private readonly countPartitions: () => Promise<number>,
    private readonly report: (share: number) => void,
    private readonly warn: (err: Error) => void,
  ) {}

  /** `owned` partitions are this consumer's now. Resolves once reported (or given up); never rejects. */
  async changed(owned: number): Promise<void> {
    const ask = ++this.asked;
    let total = this.partitions;
    try {
      total = await this.countPartitions();
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.warn(err as Error);
      this.failing = true;
    }
    if (ask !== this.asked || total <= 0) return;
    this.partitions = total;
    this.report(Math.min(1, owned / total));
  }
}
