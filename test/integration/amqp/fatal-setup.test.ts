// Needs RabbitMQ 3.10+ at AMQP_URL (default amqp://guest:guest@127.0.0.1:5672). A channel
// whose setup the broker refuses for good (406 PRECONDITION_FAILED: a declaration that
// conflicts with the queue the broker holds) makes its connection fatal instead of retrying
// forever; a setup refused with 404 (topology not declared yet) keeps retrying. Declares one
// queue of a random namespace and deletes it.
import { expect } from 'chai';
import amqp, { type ConfirmChannel } from 'amqplib';
import { pino } from 'pino';
import { ManagedChannel } from '../../../src/shared/amqp/channel.js';
import { AmqpConnection, AmqpFatalError } from '../../../src/shared/amqp/connection.js';
import { replyCodeOf } from '../../../src/shared/amqp/reply-codes.js';
import { AMQP_URL, cleanBroker, randomNamespace } from '../../helpers/env.js';

const silent = pino({ level: 'silent' });

describe('shared/amqp fatal setup errors', () => {
  const queue = `${randomNamespace()}.conflict`;
  let connection: AmqpConnection;

  beforeEach(async () => {
    const raw = await amqp.connect(AMQP_URL);
    const ch = await raw.createChannel();
    await ch.assertQueue(queue, { durable: true });
    await raw.close();
    connection = new AmqpConnection({ urls: [AMQP_URL], name: 'fatal-test', logger: silent });
    await connection.start();
  });
  afterEach(async () => {
    await connection.close();
    await cleanBroker({ queues: [queue] });
  });

  /**
   * A started ManagedChannel on the test's connection running `setup` (given the attempt, from
   * 1) on each channel, with the fatal errors its connection emits and the number of setups.
   */
  function consumer(setup: (ch: ConfirmChannel, attempt: number) => Promise<void>) {
    let setups = 0;
    const fatal: AmqpFatalError[] = [];
    connection.onFatal((err) => fatal.push(err));
    const channel = new ManagedChannel({
      connection,
      name: 'consumer',
      logger: silent,
      setup: (ch) => setup(ch, ++setups),
    });
    channel.start();
    return { channel, fatal, setups: () => setups };
  }

  it('reports PRECONDITION_FAILED in a setup as fatal: ready() rejects and the connection emits fatal', async () => {
    const { channel, fatal, setups } = consumer(async (ch) => {
      await ch.assertQueue(queue, { durable: false });
    });
    const err = await channel.ready().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(AmqpFatalError);
    expect((err as Error).message).to.match(/consumer.*PRECONDITION_FAILED.*durable/);
    expect(replyCodeOf((err as Error).cause)).to.equal(406);
    expect(fatal).to.deep.equal([err]);
    expect(setups()).to.equal(1);
    await channel.close();
  });

  it('keeps retrying a setup refused with 404 NOT_FOUND', async () => {
    const { channel, fatal, setups } = consumer(async (ch, attempt) => {
      await ch.checkQueue(attempt < 3 ? `${queue}.missing` : queue);
    });
    await channel.ready();
    expect(setups()).to.equal(3);
    expect(fatal).to.deep.equal([]);
    await channel.close();
  });
});
