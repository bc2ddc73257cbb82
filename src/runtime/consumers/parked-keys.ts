/**
 * The record keys a subscription with `delivery.keyParking` holds back: a key is parked while
 * the subscription has a pending dead letter with it, so a later record of that key is stored
 * behind it instead of being delivered ahead of it. Kept in memory, loaded from the dead-letter
 * store before the first record is dispatched and again every refresh (keys re-delivered from
 * another instance leave then); keys this consumer parks during a reload are kept whatever the
 * reload read, so a reload racing a dead letter never releases its key. A record without a key
 * is never parked. Keys are compared by their bytes.
 */
export class ParkedKeys {
  private keys = new Set<string>();
  private addedDuringLoad: Set<string> | null = null;
  private loadedOnce = false;

  /** The identity of a record key (its bytes, as latin1 text), or null for no key. */
  static id(key: Buffer | string | null | undefined): string | null {
    if (key === null || key === undefined) return null;
    return (typeof key === 'string' ? Buffer.from(key) : key).toString('latin1');
  }

  /** Whether a load has completed since the start or the last invalidate(): until then no record may be dispatched. */
  get loaded(): boolean {
    return this.loadedOnce;
  }

  get size(): number {
    return this.keys.size;
  }

  has(id: string): boolean {
    return this.keys.has(id);
  }

  /** Holds dispatch until the next successful reload (partitions were assigned). */
  invalidate(): void {
    this.loadedOnce = false;
  }

  delete(id: string): void {
    this.keys.delete(id);
  }

  add(id: string): void {
    this.keys.add(id);
    this.addedDuringLoad?.add(id);
  }

  /** Replaces the set with what `load` reads (keys as bytes), keeping keys added meanwhile. Rejects as `load` does. */
  async reload(load: () => Promise<Buffer[]>): Promise<void> {
    const added = new Set<string>();
    this.addedDuringLoad = added;
    try {
      const stored = await load();
      const next = new Set<string>(added);
      for (const key of stored) next.add(key.toString('latin1'));
      this.keys = next;
      this.loadedOnce = true;
    } finally {
      if (this.addedDuringLoad === added) this.addedDuringLoad = null;
    }
  }
}
