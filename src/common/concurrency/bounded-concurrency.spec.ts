import { DomainException } from '../../common/errors/domain.exception';
import { BoundedConcurrency } from './bounded-concurrency';

/** A task that runs until its test lets it end. */
function deferred<T = void>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}
const tick = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('BoundedConcurrency', () => {
  it('runs at most limit tasks at once, queues the next in order and refuses past the queue with Retry-After', async () => {
    const gate = new BoundedConcurrency(2, 3, 'things', 1);
    const started: number[] = [];
    const ends = Array.from({ length: 5 }, () => deferred());
    const runs = ends.map((d, i) => gate.run(async () => (started.push(i), d.promise)));
    await tick();
    expect(started).toEqual([0, 1]);
    expect([gate.running, gate.queued]).toEqual([2, 3]);
    const refused = await gate.run(async () => 'never').catch((e: DomainException) => e);
    expect(refused).toMatchObject({ code: 'BUSY', retryAfterSeconds: 1 });
    expect(String((refused as DomainException).details)).toContain('2 running and 3 waiting');
    expect(gate.refused).toBe(1);
    ends[1].resolve();
    await tick();
    expect(started).toEqual([0, 1, 2]);
    ends[0].reject(new Error('boom'));
    await expect(runs[0]).rejects.toThrow('boom');
    await tick();
    expect(started).toEqual([0, 1, 2, 3]);
    ends.forEach((d) => d.resolve());
    await Promise.all(runs.slice(1));
    expect([gate.running, gate.queued, gate.peakActive]).toEqual([0, 0, 2]);
    // Free again: a task runs at once.
    await expect(gate.run(async () => 7)).resolves.toBe(7);
  });

  it('with no queue, refuses as soon as limit tasks run', async () => {
    const gate = new BoundedConcurrency(1, 0, 'things');
    const d = deferred();
    const first = gate.run(() => d.promise);
    await expect(gate.run(async () => 1)).rejects.toMatchObject({ code: 'BUSY' });
    d.resolve();
    await first;
  });
});
