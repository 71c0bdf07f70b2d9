import { expect } from 'chai';
import fc from 'fast-check';
import { parseTtl, signToken, verifyToken } from '../../../src/protocol/index.js';
import { handToken, hostileTokens, validClaims } from './hostile-tokens.js';

const SECRET = 'unit-secret-0123456789abcdef0123456789abcdef';
const KEY = new TextEncoder().encode(SECRET);

describe('protocol/token', () => {
  describe('#verifyToken', () => {
    it('returns the identity of a valid HS256 token', async () => {
      const token = await signToken(
        SECRET,
        { clientId: 'S001', role: 'supervisor', examId: 'E' },
        60,
      );
      const identity = await verifyToken(KEY, token);
      expect(identity).to.include({ clientId: 'S001', role: 'supervisor', examId: 'E' });
      expect(identity?.expiresAt).to.be.within(Date.now() / 1000 + 50, Date.now() / 1000 + 61);
    });

    it('accepts a hand-built HS256 token with extra claims and header fields', async () => {
      const token = handToken(
        { alg: 'HS256', typ: 'JWT', kid: 'k1' },
        { ...validClaims('E001'), role: 'examinee', iss: 'someone', jti: 'x' },
        SECRET,
      );
      expect(await verifyToken(KEY, token)).to.include({ clientId: 'E001', role: 'examinee' });
    });

    it('refuses every hostile token without throwing', async () => {
      for (const { name, token } of await hostileTokens(SECRET)) {
        expect(await verifyToken(KEY, token), name).to.equal(undefined);
      }
    });

    it('refuses any token whose header or claims text was changed after signing', async () => {
      const token = handToken({ alg: 'HS256', typ: 'JWT' }, validClaims(), SECRET);
      const signedPart = token.lastIndexOf('.');
      await fc.assert(
        fc.asyncProperty(
          fc.nat({ max: signedPart - 1 }),
          fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.'),
          async (at, char) => {
            fc.pre(token[at] !== char);
            const changed = token.slice(0, at) + char + token.slice(at + 1);
            expect(await verifyToken(KEY, changed)).to.equal(undefined);
          },
        ),
        { numRuns: 300 },
      );
    });

    it('never throws and refuses arbitrary strings', async () => {
      await fc.assert(
        fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 600 }), async (text) => {
          expect(await verifyToken(KEY, text)).to.equal(undefined);
        }),
        { numRuns: 500 },
      );
    });

    it('refuses arbitrary claims signed with the right secret unless they are well formed', async () => {
      await fc.assert(
        fc.asyncProperty(fc.jsonValue(), async (claims) => {
          const identity = await verifyToken(KEY, handToken({ alg: 'HS256' }, claims, SECRET));
          expect(identity).to.equal(undefined);
        }),
        { numRuns: 300 },
      );
    });
  });

  describe('#parseTtl', () => {
    it('parses s, m, h, d and refuses anything else', () => {
      expect([parseTtl('90s'), parseTtl('30m'), parseTtl('2h'), parseTtl('7d')]).to.deep.equal([
        90, 1800, 7200, 604_800,
      ]);
      for (const bad of ['0s', '-1h', '2', 'h', '1.5h', '2 h', '1e3s', '9999999999d', ''])
        expect(parseTtl(bad), bad).to.equal(undefined);
    });
  });
});
