import { EventEmitter } from 'node:events';
import { expect } from 'chai';
import type { ChannelModel } from 'amqplib';
import { pino } from 'pino';
import { ManagedChannel, type ChannelHost } from '../../../../src/shared/amqp/channel.js';
import { AmqpFatalError } from '../../../../src/shared/amqp/connection.js';
import { UnavailableError } from '../../../../src/shared/errors.js';

const silent = pino({ level: 'silent' });

/** A confirm channel whose write buffer is always full: every publish returns false. */
class FullChannel extends EventEmitter {
  readonly confirms: ((err: unknown) => void)[] = [];
  closed = false;
  publish(_e: string, _k: string, _c: Buffer, _o: unknown, cb: (err: unknown) => void): boolean {
    this.confirms.push(cb);
    return false;
  }
  /** The broker closes the channel: amqplib fails the unconfirmed publishes, then 'close'. */
  brokerClose(): void {
    for (const cb of this.confirms.splice(0)) cb(new Error('channel closed'));
    this.emit('close');
  }
  close(): Promise<void> {
    this.closed = true;
    this.brokerClose();
    return Promise.resolve();
  }
}

/** A connection that is ready at once with `channels` to hand out, and records fatal errors. */
function host(channels: FullChannel[]): ChannelHost & { fatal: AmqpFatalError[] } {
  const fatal: AmqpFatalError[] = [];
  const listeners: ((err: AmqpFatalError) => void)[] = [];
  const model = {
    connection: { expectSocketClose: false, stream: { destroyed: false } },
    createConfirmChannel: () => {
      const next = channels.shift();
      return next ? Promise.resolve(next) : new Promise(() => undefined);
    },
  } as unknown as ChannelModel;
  return {
    fatal,
    onReady(listener) {
      listener(model);
      return () => undefined;
    },
    onFatal(listener) {
      listeners.push(listener);
      return () => undefined;
    },
    fail(err) {
      fatal.push(err);
      for (const l of listeners) l(err);
    },
  };
}

/** A started, ready ManagedChannel whose one channel is `channel`. */
async function publisherOn(channel: FullChannel): Promise<ManagedChannel> {
  const managed = new ManagedChannel({ connection: host([channel]), name: 'p', logger: silent });
  managed.start();
  await managed.ready();
  return managed;
}

/**
 * A ManagedChannel on `conn` (not started) running `setup` (given the attempt, from 1) on
 * each channel, and the number of setups run so far.
 */
function consumerOn(
  conn: ChannelHost,
  setup: (attempt: number) => Promise<void>,
  options: { setupTimeoutMs?: number } = {},
) {
  let setups = 0;
  const managed = new ManagedChannel({
    connection: conn,
    name: 'consumer',
    logger: silent,
    ...options,
    setup: () => setup(++setups),
  });
  return { managed, setups: () => setups };
}

describe('shared/amqp/channel', () => {
  describe('ManagedChannel#publish', () => {
    it('rejects publishes waiting for drain when the channel closes instead of hanging', async () => {
      const channel = new FullChannel();
      const managed = await publisherOn(channel);
      const first = managed.publish('x', 'k', Buffer.from('1'));
      // The first write filled the buffer: these wait for 'drain' before writing.
      const waiting = [
        managed.publish('x', 'k', Buffer.from('2')),
        managed.publish('x', 'k', Buffer.from('3')),
      ];
      await new Promise((r) => setImmediate(r));
      expect(channel.confirms).to.have.length(1);
      channel.brokerClose();
      const results = await Promise.allSettled([first, ...waiting]);
      for (const r of results) {
        expect(r.status).to.equal('rejected');
        expect((r as PromiseRejectedResult).reason).to.be.instanceOf(UnavailableError);
      }
      expect(String((results[1] as PromiseRejectedResult).reason)).to.include('drain');
      await managed.close();
    });

    it('writes the waiting publishes once the channel drains', async () => {
      const channel = new FullChannel();
      const managed = await publisherOn(channel);
      void managed.publish('x', 'k', Buffer.from('1')).catch(() => undefined);
      const second = managed.publish('x', 'k', Buffer.from('2'));
      await new Promise((r) => setImmediate(r));
      expect(channel.confirms).to.have.length(1);
      channel.emit('drain');
      await new Promise((r) => setImmediate(r));
      expect(channel.confirms).to.have.length(2);
      channel.confirms[1]?.(null);
      expect(await second).to.deep.equal({ returned: false });
      await managed.close();
    });
  });

  describe('ManagedChannel setup', () => {
    it('reports a PRECONDITION_FAILED setup as fatal to its connection and fails ready()', async () => {
      const conn = host([new FullChannel(), new FullChannel()]);
      const { managed, setups } = consumerOn(conn, () => {
        const err = new Error(
          'Channel closed by server: 406 (PRECONDITION-FAILED) with message "PRECONDITION_FAILED - inequivalent arg \'durable\'"',
        );
        return Promise.reject(Object.assign(err, { code: 406 }));
      });
      const ready = managed.ready().then(
        () => undefined,
        (err: unknown) => err,
      );
      managed.start();
      const err = await ready;
      expect(err).to.be.instanceOf(AmqpFatalError);
      expect((err as Error).message).to.include('PRECONDITION_FAILED');
      expect(conn.fatal).to.have.length(1);
      expect(setups()).to.equal(1);
      await managed.close();
    });

    it('abandons a setup the broker leaves unanswered and retries it on a new channel', async () => {
      const stuck = new FullChannel();
      const conn = host([stuck, new FullChannel()]);
      const { managed, setups } = consumerOn(
        conn,
        // The first declare is never answered (amqplib RPCs have no timeout of their own).
        (attempt) => (attempt === 1 ? new Promise<void>(() => undefined) : Promise.resolve()),
        { setupTimeoutMs: 50 },
      );
      managed.start();
      await managed.ready();
      expect(setups()).to.equal(2);
      expect(stuck.closed, 'abandoned channel closed').to.equal(true);
      expect(conn.fatal).to.deep.equal([]);
      await managed.close();
    });

    it('retries a RESOURCE_LOCKED setup instead', async () => {
      const conn = host([new FullChannel(), new FullChannel()]);
      const { managed, setups } = consumerOn(conn, (attempt) => {
        if (attempt > 1) return Promise.resolve();
        const err = new Error('405 (RESOURCE-LOCKED)');
        return Promise.reject(Object.assign(err, { code: 405 }));
      });
      managed.start();
      await managed.ready();
      expect(setups()).to.equal(2);
      expect(conn.fatal).to.deep.equal([]);
      await managed.close();
    });
  });
  describe('ManagedChannel across a reconnect', () => {
    /** A connection whose channels close before it is known to be gone (a node shutting down). */
    function model(channels: FullChannel[]) {
      const connection = { expectSocketClose: false, stream: { destroyed: false } };
      return {
        connection,
        createConfirmChannel: () => {
          if (connection.stream.destroyed) return Promise.reject(new Error('Connection closed'));
          const next = channels.shift();
          return next ? Promise.resolve(next) : new Promise(() => undefined);
        },
      };
    }

    it('is ready on the new connection once the old one has gone, and stays ready', async () => {
      const [c1, c2] = [new FullChannel(), new FullChannel()];
      const first = model([c1]);
      const second = model([c2]);
      let ready: ((m: ChannelModel) => void) | undefined;
      const conn: ChannelHost = {
        onReady(listener) {
          ready = listener;
          listener(first as unknown as ChannelModel);
          return () => undefined;
        },
        onFatal: () => () => undefined,
        fail: () => undefined,
      };
      const managed = new ManagedChannel({ connection: conn, name: 'p', logger: silent });
      managed.start();
      await managed.ready();
      // The node shuts down: the channel closes first, then the connection is gone, and the
      // connection's reconnect lands on another node at once.
      c1.emit('close');
      first.connection.stream.destroyed = true;
      ready?.(second as unknown as ChannelModel);
      await managed.ready();
      expect(managed.current).to.equal(c2);
      // Past the old channel's own reopen delay: nothing takes the new channel away.
      await new Promise((r) => setTimeout(r, 500));
      expect(managed.status).to.equal('ready');
      expect(managed.current).to.equal(c2);
      await managed.close();
    });
  });
});
