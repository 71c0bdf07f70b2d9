import { expect } from 'chai';
import amqp from 'amqplib';
import { pino } from 'pino';
import { AmqpConnection, AmqpFatalError } from '../../../../src/shared/amqp/connection.js';
import { handshakeCloseCodes } from '../../../../src/shared/amqp/handshake.js';
import {
  isFatalConnectionError,
  isFatalSetupError,
  replyCodeOf,
} from '../../../../src/shared/amqp/reply-codes.js';
import { FakeAmqpBroker } from '../../../helpers/fake-amqp-broker.js';

const REFUSED = 'ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN';
const silent = pino({ level: 'silent' });

/** The error `amqp.connect(url)` rejects with. */
async function connectError(url: string): Promise<unknown> {
  try {
    const model = await amqp.connect(url);
    await model.close();
  } catch (err) {
    return err;
  }
  throw new Error(`connect to ${url} succeeded`);
}

describe('shared/amqp/reply-codes', () => {
  const brokers: FakeAmqpBroker[] = [];
  afterEach(async () => {
    for (const b of brokers.splice(0)) await b.close();
  });

  async function fake(script: ConstructorParameters<typeof FakeAmqpBroker>[0], port = 0) {
    const broker = new FakeAmqpBroker(script);
    brokers.push(broker);
    return { broker, port: await broker.listen(port) };
  }

  describe('#replyCodeOf', () => {
    it('reads numeric codes only: socket errors carry strings', () => {
      expect(replyCodeOf(Object.assign(new Error('x'), { code: 406 }))).to.equal(406);
      expect(replyCodeOf(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).to.equal(
        undefined,
      );
      expect(replyCodeOf('403')).to.equal(undefined);
      expect(replyCodeOf(null)).to.equal(undefined);
    });
  });

  describe('#isFatalConnectionError', () => {
    it('is installed on amqplib: handshake errors carry the reply code', () => {
      expect(handshakeCloseCodes).to.equal(true);
    });

    it('recognises refused credentials by the 403 of the close frame sent in the handshake', async () => {
      const { port } = await fake({ closeAfterStartOk: { replyCode: 403, replyText: REFUSED } });
      const err = await connectError(`amqp://u:p@127.0.0.1:${port}`);
      expect(err).to.include({ code: 403, replyText: REFUSED });
      expect(isFatalConnectionError(err)).to.equal(true);
    });

    it('recognises a vhost not allowed by the 530 of the close frame after connection.open', async () => {
      const { port } = await fake({
        closeAfterOpen: { replyCode: 530, replyText: "NOT_ALLOWED - access to vhost 'x' refused" },
      });
      const err = await connectError(`amqp://u:p@127.0.0.1:${port}/x`);
      expect(err).to.include({ code: 530 });
      expect(isFatalConnectionError(err)).to.equal(true);
    });

    it('does not take a broker on port 14030 for a credentials error', async () => {
      // Nothing listens: ECONNREFUSED 127.0.0.1:14030, a message with "403" in it.
      const refused = await connectError('amqp://u:p@127.0.0.1:14030');
      expect(String((refused as Error).message)).to.include('14030');
      expect(isFatalConnectionError(refused)).to.equal(false);
      // A listener there that drops the handshake: transient as well.
      const { broker } = await fake({ drop: true }, 14030);
      const dropped = await connectError('amqp://u:p@127.0.0.1:14030');
      expect(broker.connections).to.equal(1);
      expect(isFatalConnectionError(dropped)).to.equal(false);
    });

    it('does not read codes out of message text', () => {
      const text = new Error(`Handshake terminated by server: 403 ${REFUSED}`);
      expect(isFatalConnectionError(text)).to.equal(false);
      expect(isFatalConnectionError(Object.assign(new Error(REFUSED), { code: 320 }))).to.equal(
        false,
      );
    });
  });

  describe('#isFatalSetupError', () => {
    it('is fatal for 403 and 406, retried for 404 and 405', () => {
      const e = (code: number) => Object.assign(new Error('channel closed'), { code });
      expect([403, 404, 405, 406].map((c) => isFatalSetupError(e(c)))).to.deep.equal([
        true,
        false,
        false,
        true,
      ]);
    });
  });

  describe('AmqpConnection', () => {
    it('fails start with AmqpFatalError when a node refuses the credentials', async () => {
      const { port } = await fake({ closeAfterStartOk: { replyCode: 403, replyText: REFUSED } });
      const conn = new AmqpConnection({
        urls: [`amqp://u:secret-pw@127.0.0.1:${port}`],
        name: 'test',
        logger: silent,
      });
      let fatal: unknown;
      conn.onFatal((err) => (fatal = err));
      const started = await conn.start().then(
        () => undefined,
        (err: unknown) => err,
      );
      await conn.close();
      expect(started).to.be.instanceOf(AmqpFatalError);
      expect((started as Error).message)
        .to.include('ACCESS-REFUSED')
        .and.not.include('secret-pw');
      expect(replyCodeOf((started as Error).cause)).to.equal(403);
      expect(fatal).to.equal(started);
    });

    it('keeps retrying, round robin, while nodes drop the handshake on port 14030 and another', async () => {
      const a = await fake({ drop: true }, 14030);
      const b = await fake({ drop: true });
      const conn = new AmqpConnection({
        urls: [`amqp://127.0.0.1:${a.port}`, `amqp://127.0.0.1:${b.port}`],
        firstNode: 0,
        name: 'test',
        logger: silent,
      });
      let fatal = false;
      conn.onFatal(() => (fatal = true));
      void conn.start().catch(() => undefined);
      for (let i = 0; i < 200 && (a.broker.connections < 2 || b.broker.connections < 2); i++) {
        await new Promise((r) => setTimeout(r, 25));
      }
      await conn.close();
      expect(fatal).to.equal(false);
      expect(a.broker.connections).to.be.at.least(2);
      expect(b.broker.connections).to.be.at.least(2);
    });
  });
});
