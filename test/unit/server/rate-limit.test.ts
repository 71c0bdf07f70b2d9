import { expect } from 'chai';
import fc from 'fast-check';
import { TokenBucket } from '../../../src/server/rate-limit.js';

describe('server/rate-limit', () => {
  describe('TokenBucket#take', () => {
    it('allows exactly the burst at one instant', () => {
      const bucket = new TokenBucket(20, 40, () => 1000);
      const allowed = Array.from({ length: 100 }, () => bucket.take()).filter(Boolean).length;
      expect(allowed).to.equal(40);
    });

    it('refills at the configured rate and never beyond the burst', () => {
      let now = 0;
      const bucket = new TokenBucket(10, 5, () => now);
      while (bucket.take());
      now += 300; // 3 tokens
      expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).to.deep.equal([
        true,
        true,
        true,
        false,
      ]);
      now += 60_000;
      expect(Array.from({ length: 10 }, () => bucket.take()).filter(Boolean)).to.have.length(5);
    });

    it('never allows more than burst + rate × elapsed, whatever the timing of the takes', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 1000 }),
          fc.integer({ min: 1, max: 200 }),
          fc.array(fc.nat({ max: 500 }), { minLength: 1, maxLength: 400 }),
          (perSecond, burst, gaps) => {
            let now = 0;
            const bucket = new TokenBucket(perSecond, burst, () => now);
            let allowed = 0;
            for (const gap of gaps) {
              now += gap;
              if (bucket.take()) allowed += 1;
            }
            expect(allowed).to.be.at.most(burst + (perSecond * now) / 1000 + 1e-9);
          },
        ),
        { numRuns: 1000 },
      );
    });
  });
});
