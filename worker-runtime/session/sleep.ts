/**
 * Waits `ms`, or less when `signal` aborts. Resolves true when the time passed, false when it was
 * cut short. The abort listener goes when the timer fires: a long loop sleeping on one signal must
 * not pile up a listener per sleep (Node warns past 10, and each keeps its closure alive).
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
