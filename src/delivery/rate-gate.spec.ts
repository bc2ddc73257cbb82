import { RateGate } from './rate-gate';

const admittedWithin = async (gate: RateGate, ms: number): Promise<number> => {
  let admitted = 0;
  let open = true;
  const pump = async () => {
    while (open) {
      await gate.acquire();
      if (open) admitted++;
    }
  };
  const workers = Array.from({ length: 8 }, pump);
  await new Promise((r) => setTimeout(r, ms));
  open = false;
  gate.close();
  await Promise.allSettled(workers);
  return admitted;
};

describe('RateGate', () => {
  it('admits everything at once when unlimited', async () => {
    const gate = new RateGate(0);
    await Promise.all(Array.from({ length: 1000 }, () => gate.acquire()));
    gate.close();
  });

  it('spaces a low rate', async () => {
    const n = await admittedWithin(new RateGate(20), 1000);
    expect(n).toBeGreaterThanOrEqual(15);
    expect(n).toBeLessThanOrEqual(23);
  });

  it('holds a high rate instead of the heartbeat-limited fraction of it', async () => {
    const n = await admittedWithin(new RateGate(1000), 1000);
    expect(n).toBeGreaterThanOrEqual(800);
    expect(n).toBeLessThanOrEqual(1200);
  });

  it('holds a rate between the spaced and reservoir steps, not a multiple of 20', async () => {
    const n = await admittedWithin(new RateGate(35), 2000);
    expect(n).toBeGreaterThanOrEqual(62);
    expect(n).toBeLessThanOrEqual(78);
  });

  it('counts a weighted acquire (a batch) as that many records', async () => {
    const gate = new RateGate(200);
    let records = 0;
    let open = true;
    const pump = async () => {
      while (open) {
        await gate.acquire(undefined, 25);
        if (open) records += 25;
      }
    };
    const workers = Array.from({ length: 4 }, pump);
    await new Promise((r) => setTimeout(r, 2000));
    open = false;
    gate.close();
    await Promise.allSettled(workers);
    // 400 records in 2 s. The upper bound catches a batch counted as one permit (thousands), the
    // lower one a batch counted twice (200); between them is room for a loaded machine (300 seen).
    expect(records).toBeGreaterThanOrEqual(250);
    expect(records).toBeLessThanOrEqual(500);
  });

  it('does not let permits gathered for a cancelled batch burst through', async () => {
    const gate = new RateGate(10);
    const abort = new AbortController();
    const big = gate.acquire(abort.signal, 50);
    await new Promise((r) => setTimeout(r, 1000));
    abort.abort();
    await expect(big).rejects.toThrow('aborted');
    let passed = 0;
    const started = Date.now();
    const singles = Array.from({ length: 20 }, () =>
      gate.acquire().then(
        () => passed++,
        () => undefined,
      ),
    );
    await new Promise((r) => setTimeout(r, 300));
    const within = passed;
    gate.close();
    await Promise.all(singles);
    // ~10 permits had built up for the cancelled batch; at 10/s only ~3 may pass in 300 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(within).toBeLessThanOrEqual(5);
  });

  it('rejects callers once closed instead of letting them through unlimited', async () => {
    const gate = new RateGate(0);
    gate.close();
    await expect(gate.acquire()).rejects.toThrow('closed');
  });

  it('lets waiting callers through when the limit is lifted live', async () => {
    const gate = new RateGate(1);
    await gate.acquire();
    const waiting = Array.from({ length: 5 }, () => gate.acquire());
    gate.setRate(0);
    await expect(Promise.all(waiting)).resolves.toHaveLength(5);
  });

  it('releases waiting callers with a rejection on close', async () => {
    const gate = new RateGate(1);
    await gate.acquire();
    const waiting = gate.acquire();
    gate.close();
    await expect(waiting).rejects.toBeDefined();
  });
});
