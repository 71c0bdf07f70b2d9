/** Reconnect and retry delays. */
export interface BackoffOptions {
  /** Ceiling of the first delay in ms. Default 500. */
  baseMs?: number;
  /** Largest ceiling in ms. Default 15000. */
  capMs?: number;
}

/**
 * Exponential backoff with full jitter: a delay drawn uniformly from
 * [0, min(capMs, baseMs * 2^attempt)] (AWS "Exponential Backoff And Jitter"). Full jitter
 * spreads the clients of a server that just went away over the whole window instead of letting
 * them all arrive at the next server at once.
 */
export function fullJitter(
  attempt: number,
  { baseMs, capMs }: Required<BackoffOptions>,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}
