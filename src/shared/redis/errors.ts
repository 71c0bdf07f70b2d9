import { ReplyError } from 'ioredis';
import { ZodError } from 'zod';
import { UnavailableError } from '../errors.js';

const ReplyErrorClass = ReplyError as new (...args: unknown[]) => Error;

/** A Redis error reply, as ioredis raises one: for an error a script returns inside its reply. */
export function replyError(message: string): Error {
  return new ReplyErrorClass(message);
}

/** Replies that mean "Redis is there but cannot serve this now". */
const TRANSIENT_REPLY = /^(LOADING|BUSY|READONLY|TRYAGAIN|MASTERDOWN|CLUSTERDOWN)\b/;

/**
 * True when retrying the same Redis call later can succeed: the connection is down or
 * timed out, or Redis answered with a transient error. Script and type errors are not.
 */
export function isTransientRedisError(err: unknown): boolean {
  if (err instanceof UnavailableError) return true;
  if (err instanceof ReplyErrorClass) return TRANSIENT_REPLY.test(err.message);
  // A bug in our own code is final, however it surfaces: retrying it would hold its message
  // (and a prefetch slot) forever instead of letting the delivery limit dead-letter it.
  if (err instanceof TypeError || err instanceof RangeError || err instanceof SyntaxError)
    return false;
  if (err instanceof ReferenceError || err instanceof ZodError) return false;
  // What remains are ioredis' connection and timeout errors (closed stream, command timeout,
  // max retries), which it raises as plain Errors.
  return err instanceof Error;
}
