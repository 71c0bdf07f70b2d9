import { expect } from 'chai';
import { newEpochId } from '../../../../src/shared/redis/commands.js';

describe('shared/redis/commands', () => {
  describe('#newEpochId', () => {
    it('is 8 base-36 characters', () => {
      for (let i = 0; i < 1000; i++) expect(newEpochId()).to.match(/^[0-9a-z]{8}$/);
    });

    it('is fresh on every call', () => {
      const ids = new Set(Array.from({ length: 20_000 }, () => newEpochId()));
      expect(ids.size).to.equal(20_000);
    });

    it('uses the whole alphabet in every position (no fixed UUID digit leaks in)', () => {
      const ids = Array.from({ length: 5000 }, () => newEpochId());
      for (let position = 0; position < 8; position++) {
        const seen = new Set(ids.map((id) => id[position]));
        expect(seen.size, `position ${position}`).to.equal(36);
      }
    });
  });
});
