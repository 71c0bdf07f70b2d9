import type { ExamRelayClientOptions } from './options.js';
import { TokenError } from './errors.js';

/** The token for the next connect: the string, or what the function returns now. */
export async function fetchToken(token: ExamRelayClientOptions['token']): Promise<string> {
  let value: unknown;
  try {
    value = typeof token === 'function' ? await token() : token;
  } catch (err) {
    throw new TokenError('the token function failed', err);
  }
  // The server's hello schema takes 1-4096 characters; anything else would cost a 4401.
  if (typeof value !== 'string' || value.length === 0 || value.length > 4096) {
    throw new TokenError('the token function did not return a token (1-4096 characters)');
  }
  return value;
}
