import type { ErrorCode } from '../protocol/codes.js';

/** Codes of errors that come from the client itself rather than from an `error` frame. */
export type LocalErrorCode = 'TIMEOUT' | 'CLOSED' | 'PROTOCOL' | 'TOKEN' | 'CONNECT';

/** Base of every error the client produces. Check with `instanceof`, branch on `code`. */
export class ExamRelayError extends Error {
  override name = 'ExamRelayError';
  /** Stable code: one of the protocol's error codes, or a local one. */
  readonly code: ErrorCode | LocalErrorCode;
  /** Whether trying again (with the same request id) can succeed. */
  readonly retryable: boolean;

  constructor(
    message: string,
    options: { code: ErrorCode | LocalErrorCode; retryable: boolean; cause?: unknown },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.retryable = options.retryable;
  }
}

/** The server refused a request (an `error` frame with its id), or it failed local validation. */
export class RequestError extends ExamRelayError {
  override name = 'RequestError';
  declare readonly code: ErrorCode;

  constructor(
    code: ErrorCode,
    message: string,
    /** The request id the error is about, if any. */
    readonly requestId: string | undefined,
  ) {
    // RATE_LIMITED: the server dropped the request unprocessed, so the same id may be sent again.
    super(message, { code, retryable: code === 'RATE_LIMITED' || code === 'UNAVAILABLE' });
  }
}

/**
 * No `ack` before the request's deadline. The change may still have been applied: send the same
 * id again to learn its outcome (the server replies with the original ack).
 */
export class RequestTimeoutError extends ExamRelayError {
  override name = 'RequestTimeoutError';

  constructor(
    readonly requestId: string,
    deadlineMs: number,
  ) {
    super(`no ack for request ${requestId} within ${deadlineMs} ms`, {
      code: 'TIMEOUT',
      retryable: true,
    });
  }
}

/** `close()` was called before the request finished. */
export class ClientClosedError extends ExamRelayError {
  override name = 'ClientClosedError';

  constructor(message = 'the client is closed') {
    super(message, { code: 'CLOSED', retryable: false });
  }
}

/** The server sent something the protocol does not allow (an invalid frame, a seq gap). */
export class ProtocolError extends ExamRelayError {
  override name = 'ProtocolError';

  constructor(message: string) {
    super(message, { code: 'PROTOCOL', retryable: true });
  }
}

/** The token function threw or returned something that is not a token. */
export class TokenError extends ExamRelayError {
  override name = 'TokenError';

  constructor(message: string, cause?: unknown) {
    super(message, { code: 'TOKEN', retryable: true, cause });
  }
}

/** The WebSocket could not be created (a malformed URL, a refused scheme). */
export class ConnectError extends ExamRelayError {
  override name = 'ConnectError';

  constructor(
    readonly url: string,
    cause: unknown,
  ) {
    super(`cannot open a WebSocket to ${url}`, { code: 'CONNECT', retryable: true, cause });
  }
}
