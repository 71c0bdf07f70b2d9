import { expect } from 'chai';
import { createLogger } from '../../../src/shared/logger.js';
import type { HistoryFrame } from '../../../src/server/history.js';
import { OrderedDelivery } from '../../../src/server/ordered-delivery.js';
import { LogSink } from '../../helpers/log-sink.js';

/** History held in memory: what the state manager would have stored in Redis. */
class MemoryHistory {
  readonly frames = new Map<number, string>();
  failures = 0;

  async read(afterSeq: number): Promise<HistoryFrame[]> {
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('redis down');
    }
    return [...this.frames]
      .filter(([seq]) => seq > afterSeq)
      .sort(([a], [b]) => a - b)
      .map(([seq, text]) => ({ seq, text }));
  }
}

const frame = (seq: number) => `f${seq}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function delivery(cursor = 0) {
  const history = new MemoryHistory();
  const sent: string[] = [];
  const resyncs: [number, number][] = [];
  const rebases: string[] = [];
  const d = new OrderedDelivery(
    {
      clientId: 'E001',
      log: createLogger({ service: 'unit', level: 'silent' }, new LogSink()),
      read: (afterSeq) => history.read(afterSeq),
      rebase: (epoch) => Promise.resolve(rebases.push(epoch) && 0),
      sendFrame: (text) => sent.push(text.toString()),
      resync: (from, to) => resyncs.push([from, to]),
    },
    cursor,
    'e1',
    20,
  );
  return { d, history, sent, resyncs, rebases };
}

describe('server/OrderedDelivery', () => {
  describe('#offer', () => {
    it('sends frames in seq order whatever order they arrive in', () => {
      const { d, sent } = delivery();
      for (const seq of [2, 3, 1, 5, 4]) d.offer(seq, frame(seq));
      expect(sent).to.deep.equal([1, 2, 3, 4, 5].map(frame));
      expect(d.cursor).to.equal(5);
    });

    it('drops a seq the client already has, or one already waiting', () => {
      const { d, sent } = delivery(3);
      expect(d.offer(3, frame(3))).to.equal(false);
      expect(d.offer(5, frame(5))).to.equal(true);
      expect(d.offer(5, frame(5))).to.equal(false);
      expect(sent).to.deep.equal([]);
    });

    it('fills a gap from history when the missing frame never comes live', async () => {
      const { d, history, sent } = delivery();
      history.frames.set(1, frame(1)).set(2, frame(2)).set(3, frame(3));
      d.offer(3, frame(3));
      await sleep(60);
      expect(sent).to.deep.equal([1, 2, 3].map(frame));
    });

    it('tells the client to resync when history no longer holds the gap, then goes on', async () => {
      const { d, history, sent, resyncs } = delivery(2);
      history.frames.set(6, frame(6)).set(7, frame(7)); // 3-5 trimmed or expired
      d.offer(7, frame(7));
      await sleep(60);
      expect(resyncs).to.deep.equal([[2, 5]]);
      expect(sent).to.deep.equal([6, 7].map(frame));
    });

    it('keeps early frames waiting while history is unreachable, and delivers them after', async () => {
      const { d, history, sent } = delivery();
      history.failures = 2;
      history.frames.set(1, frame(1)).set(2, frame(2));
      d.offer(2, frame(2));
      await sleep(60);
      expect(sent).to.deep.equal([]);
      // Retried with backoff after two failed reads.
      for (let waited = 0; sent.length < 2 && waited < 5000; waited += 20) await sleep(20);
      expect(sent).to.deep.equal([1, 2].map(frame));
    });
  });

  describe('#syncTo', () => {
    it('reads history up to a seq the client never received live', async () => {
      const { d, history, sent } = delivery(1);
      history.frames.set(1, frame(1)).set(2, frame(2)).set(3, frame(3));
      d.syncTo(3);
      await sleep(20);
      expect(sent).to.deep.equal([2, 3].map(frame));
      d.syncTo(3);
      await sleep(20);
      expect(sent).to.have.length(2);
    });

    it('retries a failed history read even when the next frame comes live meanwhile', async () => {
      const { d, history, sent } = delivery(0);
      history.frames.set(1, frame(1)).set(2, frame(2)).set(3, frame(3));
      history.failures = 1;
      d.syncTo(3);
      await sleep(5);
      // Frame 1 arrives live while the retry of the read is waiting; 2 and 3 never do.
      d.offer(1, frame(1));
      await sleep(600);
      expect(sent).to.deep.equal([1, 2, 3].map(frame));
    });
  });
  describe('epoch', () => {
    it('moves to a new numbering instead of dropping its frames as duplicates', async () => {
      const { d, sent, rebases } = delivery(5);
      expect(d.offer(1, frame(1), 'e2')).to.equal(true);
      await sleep(30);
      expect(rebases).to.deep.equal(['e2']);
      expect(d.epoch).to.equal('e2');
      expect(sent).to.deep.equal([frame(1)]);
      expect(d.cursor).to.equal(1);
    });
  });
});
