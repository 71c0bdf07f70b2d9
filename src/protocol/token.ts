import { z } from 'zod';
import { SignJWT, jwtVerify } from 'jose';
import { ClientId, ExamId, Role } from './common.js';

/** The claims of a client token (SPEC §5). */
export const TokenClaims = z.object({
  sub: ClientId,
  role: Role,
  examId: ExamId,
  exp: z.number().int().positive(),
});
export type TokenClaims = z.infer<typeof TokenClaims>;

/** Who a verified token says the client is. */
export interface Identity {
  clientId: string;
  role: Role;
  examId: string;
  expiresAt: number;
}

const ALGORITHM = 'HS256';

/** Signs a client token valid for `ttlSeconds`. */
export async function signToken(
  secret: string,
  identity: { clientId: string; role: Role; examId: string },
  ttlSeconds: number,
): Promise<string> {
  const parsed = TokenClaims.omit({ exp: true }).parse({
    sub: identity.clientId,
    role: identity.role,
    examId: identity.examId,
  });
  return new SignJWT({ role: parsed.role, examId: parsed.examId })
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setSubject(parsed.sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(new TextEncoder().encode(secret));
}

/**
 * Verifies signature (HS256 only: `none` and every other algorithm are refused), `exp` and
 * `nbf`, then the claims' shapes. Returns undefined for any invalid token: callers close with
 * 4401 and say nothing more.
 */
export async function verifyToken(
  secret: Uint8Array,
  token: string,
): Promise<Identity | undefined> {
  try {
    const { payload } = await jwtVerify(token, secret, {
      algorithms: [ALGORITHM],
      requiredClaims: ['sub', 'exp'],
    });
    const claims = TokenClaims.safeParse(payload);
    if (!claims.success) return undefined;
    return {
      clientId: claims.data.sub,
      role: claims.data.role,
      examId: claims.data.examId,
      expiresAt: claims.data.exp,
    };
  } catch {
    return undefined;
  }
}

/** Parses a TTL like `90s`, `30m`, `2h`, `7d` into seconds. */
export function parseTtl(ttl: string): number | undefined {
  const match = /^(\d{1,9})([smhd])$/.exec(ttl);
  if (!match) return undefined;
  const unit = { s: 1, m: 60, h: 3600, d: 86_400 }[match[2] as 's' | 'm' | 'h' | 'd'];
  const seconds = Number(match[1]) * unit;
  return seconds > 0 ? seconds : undefined;
}
