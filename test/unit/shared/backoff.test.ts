import { expect } from 'chai';
import { fullJitter } from '../../../src/client/backoff.js';

describe('client/backoff', () => {
  describe('#fullJitter', () => {
    const options = { baseMs: 100, capMs: 1000 };

    it('draws up to baseMs * 2^attempt, capped at capMs', () => {
      const top = () => 0.999_999;
      expect([0, 1, 2, 3, 4, 5].map((a) => fullJitter(a, options, top))).to.deep.equal([
        99, 199, 399, 799, 999, 999,
      ]);
    });

    it('can be zero: full jitter has no floor', () => {
      expect(fullJitter(3, options, () => 0)).to.equal(0);
    });

    it('stays finite for a very large attempt', () => {
      expect(fullJitter(10_000, options, () => 0.5)).to.equal(500);
    });

    it('spreads delays over the whole window', () => {
      const delays = Array.from({ length: 2000 }, () => fullJitter(2, options));
      expect(Math.min(...delays)).to.be.below(40);
      expect(Math.max(...delays))
        .to.be.above(360)
        .and.below(400);
    });
  });
});
