/**
 * librdkafka's blocking calls (connect, metadata, commits) run on libuv's thread pool, which
 * has 4 threads by default: a few subscriptions pointing at an unreachable cluster would stall
 * every other one. libuv reads the size once, on first use, so this runs before anything else.
 * An operator's own UV_THREADPOOL_SIZE wins.
 */
export function sizeThreadPool(size = 64): void {
  if (!process.env.UV_THREADPOOL_SIZE) process.env.UV_THREADPOOL_SIZE = String(size);
}
