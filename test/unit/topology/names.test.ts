import { expect } from 'chai';
import { createNames, fnv1a32 } from '../../../src/topology/names.js';

describe('topology/names', () => {
  describe('#fnv1a32', () => {
    it('matches the published FNV-1a 32-bit test vectors', () => {
      expect(fnv1a32('')).to.equal(0x811c9dc5);
      expect(fnv1a32('a')).to.equal(0xe40c292c);
      expect(fnv1a32('foobar')).to.equal(0xbf9cf968);
    });

    it('hashes the UTF-8 bytes of non-ASCII ids', () => {
      // "é" is 0xc3 0xa9 in UTF-8.
      let hash = 0x811c9dc5;
      for (const byte of [0xc3, 0xa9]) hash = Math.imul(hash ^ byte, 0x01000193);
      expect(fnv1a32('é')).to.equal(hash >>> 0);
    });
  });

  describe('#createNames', () => {
    it('keeps the one-partition names by default', () => {
      const names = createNames('x');
      expect(names.statusPartitions).to.equal(1);
      expect(names.statusQueue).to.equal('x.status_queue');
      expect(names.statusQueues).to.deep.equal(['x.status_queue']);
      expect(names.statusRoutingKey).to.equal('status');
      expect(names.statusRoutingKeyFor('EXAM1')).to.equal('status');
    });

    it('routes an exam by fnv1a32(examId) % P', () => {
      const names = createNames('', 5);
      expect(names.statusQueues).to.deep.equal([0, 1, 2, 3, 4].map((n) => `status_queue.${n}`));
      expect(names.statusRoutingKeyFor('foobar')).to.equal(`status.${0xbf9cf968 % 5}`);
      expect(names.statusRoutingKeyFor('foobar')).to.equal(names.statusRoutingKeyFor('foobar'));
    });

    it('refuses a partition count that is not a positive integer', () => {
      expect(() => createNames('', 0)).to.throw(RangeError);
      expect(() => createNames('', 1.5)).to.throw(RangeError);
    });
  });
});
