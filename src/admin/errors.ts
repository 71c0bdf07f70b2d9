import type { z } from 'zod';
import { relayErrorWith } from '../shared/errors.js';

/** The thing asked for does not exist (HTTP 404). */
export class NotFoundError extends relayErrorWith('NOT_FOUND') {}

/** A request the admin refuses as malformed (HTTP 400). */
export class BadRequestError extends relayErrorWith('BAD_REQUEST') {}

/** A cross-site request to a mutating endpoint (HTTP 403). */
export class ForbiddenError extends relayErrorWith('FORBIDDEN') {}

/** `value` when `schema` accepts it; otherwise a BadRequestError saying `rule`. */
export function requireValid(schema: z.ZodType<string>, value: string, rule: string): string {
  if (!schema.safeParse(value).success) throw new BadRequestError(rule);
  return value;
}
