import { RelayError } from '../shared/errors.js';

/** The thing asked for does not exist (HTTP 404). */
export class NotFoundError extends RelayError {
  override readonly code = 'NOT_FOUND';
}

/** A request the admin refuses as malformed (HTTP 400). */
export class BadRequestError extends RelayError {
  override readonly code = 'BAD_REQUEST';
}

/** A cross-site request to a mutating endpoint (HTTP 403). */
export class ForbiddenError extends RelayError {
  override readonly code = 'FORBIDDEN';
}
