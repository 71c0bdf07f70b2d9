import { createHash, timingSafeEqual } from 'node:crypto';

/** The user name of the admin's HTTP basic auth; the password is ADMIN_TOKEN. */
export const ADMIN_USER = 'admin';

/** Sent with every 401 so browsers ask for the user and password. */
export const AUTH_CHALLENGE = 'Basic realm="exam-relay", charset="UTF-8"';

/**
 * Checks an `Authorization` header: HTTP basic with user `admin` and the token as password,
 * or `Bearer <token>`. Both sides are hashed to equal-length digests before
 * `timingSafeEqual`, so neither the token's content nor its length leaks through timing.
 */
export function createAuthenticator(token: string): (header: string | undefined) => boolean {
  const expected = digest(token);
  const matches = (candidate: string) => timingSafeEqual(digest(candidate), expected);
  return (header) => {
    if (!header) return false;
    const space = header.indexOf(' ');
    if (space < 0) return false;
    const scheme = header.slice(0, space).toLowerCase();
    const value = header.slice(space + 1).trim();
    if (scheme === 'bearer') return matches(value);
    if (scheme !== 'basic') return false;
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    // Both comparisons always run, so a wrong user costs the same time as a wrong password.
    const userOk = timingSafeEqual(digest(decoded.slice(0, colon)), digest(ADMIN_USER));
    const passwordOk = matches(decoded.slice(colon + 1));
    return userOk && passwordOk;
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
