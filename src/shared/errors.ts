/**
 * The small set of error classes exam-relay throws. Each has a stable `code` and says whether
 * retrying the same operation later can succeed. Check with `instanceof`, never by message.
 */
export class RelayError extends Error {
  readonly code: string = 'INTERNAL';
  readonly retryable: boolean = false;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * The base of a `RelayError` class whose `code` (and `retryable`) every instance shares, so a
 * named class is one line: `class ConfigError extends relayErrorWith('CONFIG') {}`.
 */
export function relayErrorWith<C extends string>(code: C, retryable = false) {
  return class extends RelayError {
    override readonly code: C = code;
    override readonly retryable: boolean = retryable;
  };
}

/** A bad environment variable or command-line argument. */
export class ConfigError extends relayErrorWith('CONFIG') {}

/** A topology file that fails its schema or cross-checks, or a broker that conflicts with it. */
export class TopologyError extends relayErrorWith('TOPOLOGY') {}

/** Untrusted input (a frame, a bus message) that failed validation. */
export class ValidationError extends relayErrorWith('INVALID_MESSAGE') {}

/** The broker or Redis cannot be reached right now; the same request can be retried. */
export class UnavailableError extends relayErrorWith('UNAVAILABLE', true) {}

/** The broker did not confirm a publish in time. The message may or may not have been routed. */
export class ConfirmTimeoutError extends UnavailableError {}

/** An operation on a component that is closing or closed. */
export class ClosedError extends relayErrorWith('CLOSED') {}
