// Needs RabbitMQ running (AMQP_URL, localhost default). Uses its own queue, deleted afterwards.
import { expect } from 'chai';
import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import { pino } from 'pino';
import { consume, type Delivery } from '../../../src/shared/amqp/consumer.js';
import { AMQP_URL, randomNamespace } from '../../helpers/env.js';

describe('shared/amqp consume: acks sent once per turn', () => {
  const queue = `${randomNamespace()}.turn-acks`;
  let conn: ChannelModel;
  let channel: ConfirmChannel;

  beforeEach(async () => {
    conn = await amqp.connect(AMQP_URL);
    channel = await conn.createConfirmChannel();
    await channel.assertQueue(queue, { durable: false });
    await channel.prefetch(20);
  });
  afterEach(async () => {
    const admin = await conn.createChannel();
    await admin.deleteQueue(queue);
    await conn.close();
  });

  /** Consumes `count` messages and settles them as `settle` says once all have arrived. */
  async function consumeAll(count: number, settle: (deliveries: Delivery[]) => Promise<void>) {
    for (let i = 0; i < count; i++) channel.sendToQueue(queue, Buffer.from(String(i)));
    await channel.waitForConfirms();
    const deliveries: Delivery[] = [];
    let closedWithError: unknown;
    channel.on('error', (err: unknown) => (closedWithError = err));
    const all = new Promise<void>((resolve) => {
      void consume(
        channel,
        queue,
        (d) => {
          deliveries.push(d);
          if (deliveries.length === count) resolve();
          return new Promise(() => undefined); // settled below
        },
        pino({ level: 'silent' }),
      );
    });
    await all;
    await settle(deliveries);
    await new Promise((r) => setTimeout(r, 200));
    expect(closedWithError, 'channel error').to.equal(undefined);
    // What the broker still counts unacked returns to the queue when the channel closes.
    await channel.close();
    const check = await conn.createChannel();
    const { messageCount } = await check.checkQueue(queue);
    await check.close();
    return messageCount;
  }
  const tick = () => new Promise((r) => setImmediate(r));

  it('settles every delivery exactly once, acked in any order across turns', async () => {
    const left = await consumeAll(10, async (d) => {
      for (const i of [3, 0, 1]) d[i]?.ack();
      await tick();
      for (const i of [9, 2, 5, 4]) d[i]?.ack();
      await tick();
      for (const i of [8, 7, 6]) d[i]?.ack();
      d[6]?.ack(); // twice: ignored
    });
    expect(left).to.equal(0);
  });

  it('a nack among acks requeues only that delivery, and a multiple ack never covers it', async () => {
    const left = await consumeAll(6, async (d) => {
      d[1]?.ack();
      d[2]?.nack(true);
      d[0]?.ack();
      d[4]?.ack();
      await tick();
      d[3]?.ack();
      d[5]?.ack();
    });
    expect(left).to.equal(1);
  });

  it('leaves a delivery still held unacked while those behind it are acked', async () => {
    const left = await consumeAll(5, async (d) => {
      for (const i of [0, 2, 3, 4]) d[i]?.ack();
    });
    expect(left).to.equal(1);
  });
});
