import { ReplyError } from 'ioredis';
import { UnavailableError } from '../errors.js';

const ReplyErrorClass = ReplyError as new (...args: unknown[]) => Error;

/** Replies that mean "Redis is there but cannot serve this now". */
const TRANSIENT_REPLY = /^(LOADING|BUSY|READONLY|TRYAGAIN|MASTERDOWN|CLUSTERDOWN)\b/;

/**
 * True when retrying the same Redis call later can succeed: the connection is down or
 * timed out, or Redis answered with a transient error. Script and type errors are not.
 */
export function isTransientRedisError(err: unknown): boolean {
  if (err instanceof UnavailableError) return true;
  if (err instanceof ReplyErrorClass) return TRANSIENT_REPLY.test(err.message);
  return err instanceof Error;
}
