import { expect } from 'chai';
import { randomRequestId } from '../../../src/client/request-id.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('client/request-id', () => {
  describe('#randomRequestId', () => {
    it('returns a v4 UUID', () => {
      expect(randomRequestId()).to.match(UUID_V4);
    });

    it('builds a v4 UUID from getRandomValues where randomUUID is missing (plain-http pages)', () => {
      const original = Object.getOwnPropertyDescriptor(globalThis, 'crypto');
      const real = globalThis.crypto;
      Object.defineProperty(globalThis, 'crypto', {
        configurable: true,
        value: { getRandomValues: <T extends ArrayBufferView>(a: T) => real.getRandomValues(a) },
      });
      try {
        const ids = new Set(Array.from({ length: 100 }, () => randomRequestId()));
        expect(ids.size).to.equal(100);
        for (const id of ids) expect(id).to.match(UUID_V4);
      } finally {
        if (original) Object.defineProperty(globalThis, 'crypto', original);
      }
    });
  });
});
