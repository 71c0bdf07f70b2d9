import { expect } from 'chai';
import { backoff } from '../../../src/shared/backoff.js';

describe('shared/backoff', () => {
  describe('#backoff', () => {
    const options = { base: 100, cap: 1000, min: 0 };

    it('draws up to base * 2^attempt, capped at cap', () => {
      const random = () => 0.999_999;
      expect([0, 1, 2, 3, 4, 5].map((a) => backoff(a, { ...options, random }))).to.deep.equal([
        99, 199, 399, 799, 999, 999,
      ]);
    });

    it('can be zero with min 0: full jitter has no floor', () => {
      expect(backoff(3, { ...options, random: () => 0 })).to.equal(0);
    });

    it('never goes below base / 2 by default, so a tight loop cannot spin', () => {
      expect(backoff(3, { base: 100, cap: 1000, random: () => 0 })).to.equal(50);
    });

    it('stays finite for a very large attempt', () => {
      expect(backoff(10_000, { ...options, random: () => 0.5 })).to.equal(500);
    });

    it('spreads delays over the whole window', () => {
      const delays = Array.from({ length: 2000 }, () => backoff(2, options));
      expect(Math.min(...delays)).to.be.below(40);
      expect(Math.max(...delays))
        .to.be.above(360)
        .and.below(400);
    });
  });
});
