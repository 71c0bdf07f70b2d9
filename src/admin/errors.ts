import { relayErrorWith } from '../shared/errors.js';

/** The thing asked for does not exist (HTTP 404). */
export class NotFoundError extends relayErrorWith('NOT_FOUND') {}

/** A request the admin refuses as malformed (HTTP 400). */
export class BadRequestError extends relayErrorWith('BAD_REQUEST') {}

/** A cross-site request to a mutating endpoint (HTTP 403). */
export class ForbiddenError extends relayErrorWith('FORBIDDEN') {}
