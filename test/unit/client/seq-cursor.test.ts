import { expect } from 'chai';
import { SeqCursor } from '../../../src/client/seq-cursor.js';

describe('client/SeqCursor', () => {
  describe('#offer', () => {
    it('advances on the next seq only, and calls repeats duplicates and jumps gaps', () => {
      const cursor = new SeqCursor(2);
      expect([3, 3, 1, 5, 4].map((seq) => cursor.offer(seq))).to.deep.equal([
        'next',
        'duplicate',
        'duplicate',
        'gap',
        'next',
      ]);
      expect(cursor.value).to.equal(4);
    });
  });

  describe('#skipTo', () => {
    it('moves forward to toSeq and never back', () => {
      const cursor = new SeqCursor(7);
      cursor.skipTo(5);
      expect(cursor.value).to.equal(7);
      cursor.skipTo(9);
      expect(cursor.value).to.equal(9);
    });
  });

  describe('#welcome', () => {
    it('returns nothing when the server resumes where the client is', () => {
      expect(new SeqCursor(4).welcome(4)).to.equal(undefined);
    });

    it('returns the range between the two and adopts the server position when they differ', () => {
      const behind = new SeqCursor(10);
      expect(behind.welcome(3)).to.deep.equal({ fromSeq: 3, toSeq: 10 });
      expect(behind.value).to.equal(3);
      const ahead = new SeqCursor(2);
      expect(ahead.welcome(6)).to.deep.equal({ fromSeq: 2, toSeq: 6 });
      expect(ahead.value).to.equal(6);
    });
  });
});
