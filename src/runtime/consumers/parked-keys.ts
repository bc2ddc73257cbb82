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
  /** Bumped by invalidate(): a reload that began before it is not trusted. */
  private generation = 0;
  private loading: Promise<void> | null = null;
  private again = false;

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
    this.generation++;
  }

  delete(id: string): void {
    this.keys.delete(id);
  }

  add(id: string): void {
    this.keys.add(id);
    this.addedDuringLoad?.add(id);
  }

  /**
   * Replaces the set with what `load` reads (keys as bytes), keeping keys added meanwhile. One
   * reload runs at a time: a call during one makes it run once more when it ends, and the
   * returned promise settles after that. A reload that began before an invalidate() is run
   * again instead of trusted. Rejects as `load` does (the set is then unchanged).
   */
  reload(load: () => Promise<Buffer[]>): Promise<void> {
    if (this.loading) {
      this.again = true;
      return this.loading;
    }
    this.loading = (async () => {
      try {
        do {
          this.again = false;
          await this.loadOnce(load);
        } while (this.again);
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }

  private async loadOnce(load: () => Promise<Buffer[]>): Promise<void> {
    const added = new Set<string>();
    const generation = this.generation;
    this.addedDuringLoad = added;
    try {
      const stored = await load();
      if (generation !== this.generation) {
        this.again = true;
        return;
      }
      const next = new Set<string>(added);
      for (const key of stored) next.add(key.toString('latin1'));
      this.keys = next;
      this.loadedOnce = true;
    } finally {
      this.addedDuringLoad = null;
    }
  }
}
