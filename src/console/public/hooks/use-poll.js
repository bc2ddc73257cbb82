// @ts-check
import { useEffect } from 'preact/hooks';

/**
 * Runs `load` now and then `ms` after each run ends, until the component goes away or `deps`
 * change (then it starts over); a failed run goes to `onError` and the next one still comes.
 * @param {() => Promise<void>} load
 * @param {number} ms pause between the end of one run and the start of the next
 * @param {unknown[]} deps
 * @param {(err: unknown) => void} onError
 */
export function usePoll(load, ms, deps, onError) {
  useEffect(() => {
    let stopped = false;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let timer;
    const tick = async () => {
      try {
        await load();
      } catch (err) {
        onError(err);
      }
      if (!stopped) timer = setTimeout(() => void tick(), ms);
    };
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, deps);
}
