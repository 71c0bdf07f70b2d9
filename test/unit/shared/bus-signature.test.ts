import { expect } from 'chai';
import fc from 'fast-check';
import { BusSigner, SIGNATURE_HEADER } from '../../../src/shared/bus-signature.js';

const signer = new BusSigner('test-secret-0123456789abcdef0123456789abcdef');
const other = new BusSigner('test-secret-0123456789abcdef0123456789abcdeF');

describe('shared/bus-signature', () => {
  describe('BusSigner#verify', () => {
    it('accepts what it signed, in the header it adds', () => {
      const body = Buffer.from('{"type":"sync_state"}');
      const headers = signer.headers(body, { a: 1 });
      expect(headers).to.include({ a: 1 });
      expect(signer.verify(body, headers[SIGNATURE_HEADER])).to.equal(true);
    });

    it('refuses a changed body, another key, and signatures of the wrong type or length', () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.nat(), (bytes, at) => {
          const body = Buffer.from(bytes);
          const sig = signer.sign(body);
          const changed = Buffer.from(body);
          const i = at % changed.length;
          changed[i] = (changed[i] ?? 0) ^ 0xff;
          expect(signer.verify(changed, sig)).to.equal(false);
          expect(other.verify(body, sig)).to.equal(false);
          expect(signer.verify(body, other.sign(body))).to.equal(false);
        }),
        { numRuns: 500 },
      );
      const body = Buffer.from('x');
      const sig = signer.sign(body);
      for (const bad of [
        undefined,
        null,
        42,
        Buffer.from(sig),
        [sig],
        { sig },
        '',
        `${sig}=`,
        sig.slice(1),
        'A'.repeat(65),
      ])
        expect(signer.verify(body, bad), String(bad)).to.equal(false);
    });

    it('refuses any signature string it did not make', () => {
      const body = Buffer.from('{"type":"route_message"}');
      fc.assert(
        fc.property(fc.string({ maxLength: 100 }), (sig) => {
          fc.pre(sig !== signer.sign(body));
          expect(signer.verify(body, sig)).to.equal(false);
        }),
        { numRuns: 1000 },
      );
    });
  });
});
