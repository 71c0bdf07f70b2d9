import { UnavailableError } from '../errors.js';
import { isTransientRedisError } from './errors.js';

/**
 * The values of a pipeline's or MULTI's results, throwing the first error: a lost connection or
 * a transient reply as `UnavailableError` (retryable; 503 at the admin API), anything else (a
 * script error, WRONGTYPE) as Redis gave it, final. A discarded pipeline (ioredis answers `null`
 * for an aborted MULTI) is `UnavailableError` too.
 */
export function unwrap(results: [Error | null, unknown][] | null): unknown[] {
  if (!results) throw new UnavailableError('redis pipeline discarded');
  return results.map(([err, value]) => {
    if (!err) return value;
    if (isTransientRedisError(err)) {
      throw new UnavailableError(`redis: ${err.message}`, { cause: err });
    }
    throw err;
  });
}
