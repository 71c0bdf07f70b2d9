// Waiting in tests: one polling loop for every suite (unit fakes, integration, e2e, faults).

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls `check` every `everyMs` until it returns a value other than undefined or false, and
 * returns that value. A `check` that throws is polled again; after `timeoutMs` the error names
 * `what` and the last error thrown, if any.
 */
export async function eventually<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 5000,
  everyMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const cause = last === undefined ? '' : `: ${String(last)}`;
      throw new Error(`timed out waiting for ${what} (${timeoutMs} ms)${cause}`, { cause: last });
    }
    await sleep(everyMs);
  }
}
