/** Options of `backoff`. */
export interface BackoffOptions {
  /** First delay in ms. Default 100. */
  base?: number;
  /** Largest delay in ms. Default 10000. */
  cap?: number;
}

/**
 * Exponential backoff with full jitter: a random delay in [0, min(cap, base * 2^attempt)],
 * never below base / 2 so a tight loop cannot spin (centrifuge-js `utils.ts#backoff`).
 */
export function backoff(
  attempt: number,
  { base = 100, cap = 10_000 }: BackoffOptions = {},
): number {
  const ceiling = Math.min(cap, base * 2 ** Math.min(attempt, 30));
  return Math.max(base / 2, Math.random() * ceiling);
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
