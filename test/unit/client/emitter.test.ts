import { expect } from 'chai';
import { TypedEmitter } from '../../../src/client/emitter.js';

type Events = { tick: [n: number]; done: [] };

class Ticker extends TypedEmitter<Events> {
  fire<K extends keyof Events>(event: K, ...args: Events[K]): void {
    this.emit(event, ...args);
  }
}

describe('client/TypedEmitter', () => {
  describe('#on', () => {
    it('calls each listener with the arguments, in the order they were added', () => {
      const ticker = new Ticker();
      const seen: string[] = [];
      ticker.on('tick', (n) => seen.push(`a${n}`)).on('tick', (n) => seen.push(`b${n}`));
      ticker.fire('tick', 1);
      expect(seen).to.deep.equal(['a1', 'b1']);
    });

    it('keeps calling the other listeners when one throws, and rethrows on a later task', async () => {
      const ticker = new Ticker();
      const seen: number[] = [];
      const boom = new Error('listener bug');
      ticker.on('tick', () => {
        throw boom;
      });
      ticker.on('tick', (n) => seen.push(n));
      const uncaught = new Promise<unknown>((resolve) => {
        const listeners = process.listeners('uncaughtException');
        process.removeAllListeners('uncaughtException');
        process.once('uncaughtException', (err) => {
          for (const l of listeners) process.on('uncaughtException', l);
          resolve(err);
        });
      });
      ticker.fire('tick', 7);
      expect(seen).to.deep.equal([7]);
      expect(await uncaught).to.equal(boom);
    });
  });

  describe('#off', () => {
    it('removes a listener, also from inside an emit', () => {
      const ticker = new Ticker();
      let calls = 0;
      const listener = () => {
        calls++;
        ticker.off('done', listener);
      };
      ticker.on('done', listener);
      ticker.fire('done');
      ticker.fire('done');
      expect(calls).to.equal(1);
      expect(ticker.listenerCount('done')).to.equal(0);
    });
  });

  describe('#once', () => {
    it('calls a listener for the first emit only', () => {
      const ticker = new Ticker();
      const seen: number[] = [];
      ticker.once('tick', (n) => seen.push(n));
      ticker.fire('tick', 1);
      ticker.fire('tick', 2);
      expect(seen).to.deep.equal([1]);
    });
  });
});
