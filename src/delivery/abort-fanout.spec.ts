import { AbortFanout } from './abort-fanout';

describe('AbortFanout', () => {
  it('calls every listener still registered once when the signal aborts, and none removed before', () => {
    const controller = new AbortController();
    const fanout = new AbortFanout(controller.signal);
    const calls: string[] = [];
    const a = () => calls.push('a');
    const b = () => calls.push('b');
    const c = () => calls.push('c');
    fanout.addEventListener('abort', a);
    fanout.addEventListener('abort', b);
    fanout.addEventListener('abort', c);
    fanout.removeEventListener('abort', b);
    expect(fanout.aborted).toBe(false);
    controller.abort(new Error('revoked'));
    expect(calls).toEqual(['a', 'c']);
    expect(fanout.aborted).toBe(true);
    expect((fanout.reason as Error).message).toBe('revoked');
    controller.abort();
    expect(calls).toEqual(['a', 'c']);
  });

  it('calls a listener added after the abort on the next microtask', async () => {
    const controller = new AbortController();
    const fanout = new AbortFanout(controller.signal);
    controller.abort();
    const late = jest.fn();
    fanout.addEventListener('abort', late);
    expect(late).not.toHaveBeenCalled();
    await Promise.resolve();
    expect(late).toHaveBeenCalledTimes(1);
  });

  it('adds one listener to the underlying signal however many requests wait', async () => {
    const controller = new AbortController();
    const spy = jest.spyOn(controller.signal, 'addEventListener');
    const fanout = new AbortFanout(controller.signal);
    for (let i = 0; i < 1000; i++) fanout.addEventListener('abort', () => undefined);
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it('cancels a real undici request in flight', async () => {
    const { createServer } = await import('node:http');
    const { Pool } = await import('undici');
    const server = createServer(() => undefined); // never answers
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const pool = new Pool(`http://127.0.0.1:${port}`);
    const controller = new AbortController();
    const fanout = new AbortFanout(controller.signal);
    const pending = pool.request({ path: '/', method: 'POST', body: '{}', signal: fanout as never });
    setImmediate(() => controller.abort());
    await expect(pending).rejects.toThrow();
    await pool.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
});
