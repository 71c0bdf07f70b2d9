/** Options of `backoff`. */
export interface BackoffOptions {
  /** Ceiling of the first delay in ms. Default 100. */
  base?: number;
  /** Largest ceiling in ms. Default 10000. */
  cap?: number;
  /**
   * Smallest delay in ms. Default base / 2, so a tight retry loop cannot spin; 0 for pure full
   * jitter (the client SDK, whose clients should spread over the whole window).
   */
  min?: number;
  /** Source of randomness in [0, 1). Default `Math.random`. */
  random?: () => number;
}

/**
 * Exponential backoff with full jitter: a whole number of ms drawn uniformly from
 * [0, min(cap, base * 2^attempt)], at least `min` (AWS "Exponential Backoff And Jitter";
 * centrifuge-js `utils.ts#backoff`). Full jitter spreads the clients of a server that just went
 * away over the whole window instead of letting them all arrive at the next one at once. Used by
 * every role and by the client SDK, so it must stay free of Node APIs.
 */
export function backoff(
  attempt: number,
  { base = 100, cap = 10_000, min = base / 2, random = Math.random }: BackoffOptions = {},
): number {
  const ceiling = Math.min(cap, base * 2 ** Math.min(attempt, 30));
  return Math.max(min, Math.floor(random() * ceiling));
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
