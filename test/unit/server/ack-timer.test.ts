import { expect } from 'chai';
import { AckTimer } from '../../../src/server/ack-timer.js';

describe('AckTimer', () => {
  let now: number;
  let seen: number[];
  const timer = (options: { maxPending?: number; maxAgeMs?: number } = {}) =>
    new AckTimer({ observe: (s) => seen.push(s), now: () => now, ...options });

  beforeEach(() => {
    now = 1000;
    seen = [];
  });

  describe('#acked', () => {
    it('observes the seconds from the first receipt to the ack, once', () => {
      const t = timer();
      t.start('S001', 'm-1');
      now += 40;
      t.start('S001', 'm-1'); // a resend of the same id
      now += 210;
      t.acked('S001', 'm-1');
      t.acked('S001', 'm-1'); // the ack of the resend
      expect(seen).to.deep.equal([0.25]);
      expect(t.pending).to.equal(0);
    });

    it('ignores acks of requests received elsewhere and keeps supervisors apart', () => {
      const t = timer();
      t.start('S001', 'm-1');
      t.acked('S002', 'm-1');
      t.acked('S001', 'm-2');
      expect(seen).to.deep.equal([]);
      expect(t.pending).to.equal(1);
    });
  });

  describe('#start', () => {
    it('forgets the oldest request beyond maxPending', () => {
      const t = timer({ maxPending: 2 });
      for (const id of ['a', 'b', 'c']) t.start('S001', id);
      expect(t.pending).to.equal(2);
      t.acked('S001', 'a');
      t.acked('S001', 'c');
      expect(seen).to.deep.equal([0]);
    });

    it('forgets requests older than maxAgeMs', () => {
      const t = timer({ maxAgeMs: 1000 });
      t.start('S001', 'old');
      now += 1500;
      t.start('S001', 'new');
      expect(t.pending).to.equal(1);
      t.acked('S001', 'old');
      expect(seen).to.deep.equal([]);
    });
  });
});
