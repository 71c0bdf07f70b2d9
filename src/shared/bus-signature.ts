import { createHmac, timingSafeEqual } from 'node:crypto';

/** AMQP header carrying a bus message's signature. */
export const SIGNATURE_HEADER = 'x-relay-signature';

/**
 * Signs and verifies messages between exam-relay processes (HMAC-SHA256 of the body), so a
 * message put on `status_queue` or a server queue by anyone without the secret — a forged
 * source server, say — is refused. The key is derived from AUTH_SECRET for this purpose
 * only, so it never signs a token.
 */
export class BusSigner {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = createHmac('sha256', secret).update('exam-relay bus v1').digest();
  }

  sign(body: Buffer): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }

  verify(body: Buffer, signature: unknown): boolean {
    if (typeof signature !== 'string' || signature.length > 64) return false;
    const expected = Buffer.from(this.sign(body));
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /** Publish headers with the body's signature added. */
  headers(body: Buffer, headers: Record<string, unknown> = {}): Record<string, unknown> {
    return Object.assign({}, headers, { [SIGNATURE_HEADER]: this.sign(body) });
  }
}
