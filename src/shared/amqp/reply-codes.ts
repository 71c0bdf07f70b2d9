import './handshake.js';

/**
 * AMQP reply codes that retrying cannot fix, read from the structured `code` amqplib puts on
 * the errors of a connection or channel close (a handshake close included, see handshake.ts),
 * never from message text: a broker on port 14030 is no credentials error.
 */

/** Connection level: 403 ACCESS_REFUSED (credentials refused), 530 NOT_ALLOWED (vhost). */
const FATAL_CONNECTION_CODES: ReadonlySet<number> = new Set([403, 530]);

/**
 * Channel level, during a channel's setup (declare, bind, consume): 403 ACCESS_REFUSED (the
 * user lacks a permission), 406 PRECONDITION_FAILED (a declaration that conflicts with what
 * the broker holds, e.g. `inequivalent arg 'x-queue-type'`). 404 NOT_FOUND (topology not
 * declared yet) and 405 RESOURCE_LOCKED (our exclusive queue still held by our dead
 * connection) are left to the retry.
 */
const FATAL_SETUP_CODES: ReadonlySet<number> = new Set([403, 406]);

/** The AMQP reply code amqplib attached to `err`, if any (socket errors have string codes). */
export function replyCodeOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  const code = err.code;
  return typeof code === 'number' ? code : undefined;
}

/** A connect or connection-close error after which reconnecting cannot help. */
export function isFatalConnectionError(err: unknown): boolean {
  const code = replyCodeOf(err);
  return code !== undefined && FATAL_CONNECTION_CODES.has(code);
}

/** A channel setup error that retrying the setup cannot fix. */
export function isFatalSetupError(err: unknown): boolean {
  const code = replyCodeOf(err);
  return code !== undefined && FATAL_SETUP_CODES.has(code);
}
