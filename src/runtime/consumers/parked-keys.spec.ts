import { ParkedKeys } from './parked-keys';

describe('ParkedKeys', () => {
  it('compares keys by their bytes and never parks a record without a key', () => {
    expect(ParkedKeys.id(null)).toBeNull();
    expect(ParkedKeys.id(undefined)).toBeNull();
    expect(ParkedKeys.id('order-7')).toBe(ParkedKeys.id(Buffer.from('order-7')));
    expect(ParkedKeys.id(Buffer.from([0xff, 0x00]))).not.toBe(ParkedKeys.id(Buffer.from([0xfe, 0x00])));
  });

  it('takes the stored keys on reload and keeps a key parked while the reload ran', async () => {
    const parked = new ParkedKeys();
    expect(parked.loaded).toBe(false);
    parked.add(ParkedKeys.id('a')!);
    let finish!: (keys: Buffer[]) => void;
    const reload = parked.reload(() => new Promise((resolve) => (finish = resolve)));
    // Dead-lettered after the reload's query ran: the query cannot have seen it.
    parked.add(ParkedKeys.id('b')!);
    finish([Buffer.from('c')]);
    await reload;
    expect(parked.loaded).toBe(true);
    // 'a' was re-delivered elsewhere (the store no longer has it); 'b' stays; 'c' came from the store.
    expect(['a', 'b', 'c'].map((k) => parked.has(ParkedKeys.id(k)!))).toEqual([false, true, true]);
  });

  it('a failed reload changes nothing and is not a first load', async () => {
    const parked = new ParkedKeys();
    parked.add(ParkedKeys.id('a')!);
    await expect(parked.reload(() => Promise.reject(new Error('database down')))).rejects.toThrow('database down');
    expect(parked.loaded).toBe(false);
    expect(parked.has(ParkedKeys.id('a')!)).toBe(true);
  });

  it('runs one reload at a time, and does not trust one that began before an invalidate()', async () => {
    const parked = new ParkedKeys();
    const answers: Array<(keys: Buffer[]) => void> = [];
    let loads = 0;
    const load = () => {
      loads++;
      return new Promise<Buffer[]>((resolve) => answers.push(resolve));
    };
    const first = parked.reload(load);
    const second = parked.reload(load);
    expect(loads).toBe(1);
    // Partitions were assigned while the first read ran: what it read may be stale.
    parked.invalidate();
    answers[0]([Buffer.from('stale')]);
    await new Promise((r) => setImmediate(r));
    expect(parked.loaded).toBe(false);
    expect(loads).toBe(2);
    answers[1]([Buffer.from('fresh')]);
    await Promise.all([first, second]);
    expect(parked.loaded).toBe(true);
    expect([parked.has('stale'), parked.has('fresh')]).toEqual([false, true]);
  });
});
