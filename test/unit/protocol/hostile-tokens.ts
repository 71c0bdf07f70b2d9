// Tokens that must all be refused, built by hand (base64url JSON) or with jose. Shared by the
// token unit tests and the authentication e2e test.
import { createHmac } from 'node:crypto';
import { SignJWT, generateKeyPair } from 'jose';

const b64url = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** `header.payload.signature` with an HMAC signature over `key`, or none. */
export function handToken(
  header: unknown,
  payload: unknown,
  key?: string,
  hash: 'sha256' | 'sha384' | 'sha512' = 'sha256',
): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  const sig = key === undefined ? '' : createHmac(hash, key).update(input).digest('base64url');
  return `${input}.${sig}`;
}

const seconds = () => Math.floor(Date.now() / 1000);

/** Claims of a valid supervisor token of EXAM1. */
export function validClaims(sub = 'S001'): Record<string, unknown> {
  return { sub, role: 'supervisor', examId: 'EXAM1', iat: seconds(), exp: seconds() + 3600 };
}

const HS256 = { alg: 'HS256', typ: 'JWT' };

/** Every way a token can be wrong, each with a name saying how. */
export async function hostileTokens(secret: string): Promise<{ name: string; token: string }[]> {
  const c = validClaims();
  const without = (claim: string) =>
    Object.fromEntries(Object.entries(c).filter(([k]) => k !== claim));
  const rsa = await generateKeyPair('RS256');
  const ec = await generateKeyPair('ES256');
  const rs256 = await new SignJWT(c).setProtectedHeader({ alg: 'RS256' }).sign(rsa.privateKey);
  const es256 = await new SignJWT(c).setProtectedHeader({ alg: 'ES256' }).sign(ec.privateKey);
  const valid = handToken(HS256, c, secret);
  const [h, , s] = valid.split('.') as [string, string, string];
  const sigBytes = Buffer.from(s, 'base64url');
  sigBytes[0] = (sigBytes[0] ?? 0) ^ 1;

  return [
    { name: 'alg none, no signature', token: handToken({ alg: 'none', typ: 'JWT' }, c) },
    { name: 'alg None', token: handToken({ alg: 'None' }, c) },
    { name: 'alg NONE', token: handToken({ alg: 'NONE' }, c) },
    {
      name: 'alg none with a valid HS256 signature',
      token: `${handToken({ alg: 'none' }, c).slice(0, -1)}.${s}`,
    },
    { name: 'no alg', token: handToken({ typ: 'JWT' }, c, secret) },
    {
      name: 'HS384 with the right secret',
      token: handToken({ alg: 'HS384' }, c, secret, 'sha384'),
    },
    {
      name: 'HS512 with the right secret',
      token: handToken({ alg: 'HS512' }, c, secret, 'sha512'),
    },
    {
      name: 'RS256 header, HMAC signature (key confusion)',
      token: handToken({ alg: 'RS256' }, c, secret),
    },
    { name: 'RS256 signed with an RSA key', token: rs256 },
    { name: 'ES256 signed with an EC key', token: es256 },
    { name: 'wrong secret', token: handToken(HS256, c, `${secret}-not`) },
    { name: 'empty secret', token: handToken(HS256, c, '') },
    {
      name: 'flipped signature bit',
      token: `${valid.split('.').slice(0, 2).join('.')}.${sigBytes.toString('base64url')}`,
    },
    { name: 'no signature', token: valid.split('.').slice(0, 2).join('.') + '.' },
    {
      name: 'payload swapped after signing',
      token: `${h}.${b64url({ ...c, sub: 'S999' })}.${s}`,
    },
    { name: 'expired', token: handToken(HS256, { ...c, exp: seconds() - 5 }, secret) },
    { name: 'expired long ago', token: handToken(HS256, { ...c, exp: 1 }, secret) },
    {
      name: 'not yet valid (nbf)',
      token: handToken(HS256, { ...c, nbf: seconds() + 3600 }, secret),
    },
    { name: 'missing sub', token: handToken(HS256, without('sub'), secret) },
    { name: 'missing role', token: handToken(HS256, without('role'), secret) },
    { name: 'missing examId', token: handToken(HS256, without('examId'), secret) },
    { name: 'missing exp', token: handToken(HS256, without('exp'), secret) },
    { name: 'unknown role admin', token: handToken(HS256, { ...c, role: 'admin' }, secret) },
    {
      name: 'unknown role SUPERVISOR',
      token: handToken(HS256, { ...c, role: 'SUPERVISOR' }, secret),
    },
    { name: 'role as array', token: handToken(HS256, { ...c, role: ['supervisor'] }, secret) },
    { name: 'sub with a space', token: handToken(HS256, { ...c, sub: 'S 001' }, secret) },
    { name: 'sub with a colon', token: handToken(HS256, { ...c, sub: 'S001:x' }, secret) },
    {
      name: 'sub of 65 characters',
      token: handToken(HS256, { ...c, sub: 'S'.repeat(65) }, secret),
    },
    { name: 'sub as number', token: handToken(HS256, { ...c, sub: 1001 }, secret) },
    { name: 'empty examId', token: handToken(HS256, { ...c, examId: '' }, secret) },
    { name: 'examId as object', token: handToken(HS256, { ...c, examId: { $ne: 1 } }, secret) },
    {
      name: 'exp as string',
      token: handToken(HS256, { ...c, exp: String(seconds() + 3600) }, secret),
    },
    {
      name: 'exp not an integer',
      token: handToken(HS256, { ...c, exp: seconds() + 3600.5 }, secret),
    },
    { name: 'exp beyond safe integers', token: handToken(HS256, { ...c, exp: 1e300 }, secret) },
    { name: 'claims an array', token: handToken(HS256, [c], secret) },
    { name: 'claims not JSON', token: `${b64url(HS256)}.${b64url('{sub:')}.x` },
    { name: 'header not JSON', token: `${b64url('{"alg":')}.${b64url(c)}.x` },
    {
      name: 'unknown critical header',
      token: handToken({ alg: 'HS256', crit: ['x-relay'], 'x-relay': 1 }, c, secret),
    },
    {
      name: 'unencoded payload (b64: false)',
      token: handToken({ alg: 'HS256', b64: false, crit: ['b64'] }, c, secret),
    },
    { name: 'two parts', token: valid.split('.').slice(0, 2).join('.') },
    { name: 'four parts', token: `${valid}.x` },
    { name: 'garbage', token: 'not-a-jwt' },
    { name: 'dots only', token: '..' },
    { name: 'whitespace around a valid token', token: ` ${valid} ` },
  ];
}
