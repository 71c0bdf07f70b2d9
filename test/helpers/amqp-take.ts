// Reading a queue in assertions without basic.get: quorum queues with a single active consumer
// (status_queue and its partitions) refuse basic.get with 405 RESOURCE_LOCKED ("basic.get
// operations are not supported by quorum queues with single active consumer").
import amqp, { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import type { z } from 'zod';
import { parseJson } from '../../src/protocol/index.js';
import { SIGNATURE_HEADER, type BusSigner } from '../../src/shared/bus-signature.js';
import { AMQP_URL } from './env.js';

/** Most time a helper waits for messages the queue said it holds. */
const WAIT_MS = 10_000;

/**
 * Takes (and acks) the messages ready in `queue` when called, through a consumer of its own.
 * Resolves once it has as many as the queue reported ready, or after WAIT_MS with what came.
 */
export async function takeAll(model: ChannelModel, queue: string): Promise<ConsumeMessage[]> {
  const ch = await model.createChannel();
  try {
    const { messageCount } = await ch.checkQueue(queue);
    if (messageCount === 0) return [];
    const out: ConsumeMessage[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, WAIT_MS);
      ch.consume(
        queue,
        (m) => {
          if (!m) return;
          out.push(m);
          if (out.length >= messageCount) {
            clearTimeout(timer);
            resolve();
          }
        },
        { noAck: true },
      ).catch((err: unknown) => {
        clearTimeout(timer);
        reject(err as Error);
      });
    });
    return out;
  } finally {
    await ch.close().catch(() => undefined);
  }
}

/**
 * Requeues every delivery of `queue` (basic.nack, requeue) until the broker dead-letters one
 * into `deadLetterQueue` after the queue's delivery limit; resolves with the deliveries seen.
 */
export async function requeueUntilDeadLettered(
  model: ChannelModel,
  queue: string,
  deadLetterQueue: string,
): Promise<number> {
  const ch = await model.createChannel();
  const probe = await model.createChannel();
  try {
    const before = (await probe.checkQueue(deadLetterQueue)).messageCount;
    let deliveries = 0;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        clearInterval(poll);
        reject(new Error(`${queue}: nothing dead-lettered after ${deliveries} deliveries`));
      }, WAIT_MS);
      // The last requeue is followed by no delivery: the dead-letter queue is polled.
      const poll = setInterval(() => void check().catch(reject), 50);
      let checking = false;
      const check = async () => {
        if (checking) return;
        checking = true;
        const { messageCount } = await probe.checkQueue(deadLetterQueue).finally(() => {
          checking = false;
        });
        if (messageCount > before) {
          clearTimeout(timer);
          clearInterval(poll);
          resolve();
        }
      };
      ch.consume(
        queue,
        (m) => {
          if (!m) return;
          deliveries++;
          ch.nack(m, false, true);
        },
        { noAck: false },
      ).catch(reject);
    });
    return deliveries;
  } finally {
    await ch.close().catch(() => undefined);
    await probe.close().catch(() => undefined);
  }
}

/**
 * Takes every message ready in `queue` (basic.get, for queues that allow it), checks each is
 * signed by `signer`, and parses it with `schema` as its consumer would.
 */
export async function takeSignedParsed<T>(
  ch: Channel,
  queue: string,
  signer: BusSigner,
  schema: z.ZodType<T>,
): Promise<T[]> {
  const out: T[] = [];
  for (;;) {
    const got = await ch.get(queue, { noAck: true });
    if (!got) return out;
    if (!signer.verify(got.content, got.properties.headers?.[SIGNATURE_HEADER])) {
      throw new Error(`unsigned message in ${queue}`);
    }
    const parsed = parseJson(schema, got.content.toString('utf8'));
    if (!parsed.ok) throw new Error(parsed.error);
    out.push(parsed.value);
  }
}

/**
 * A direct exchange and a non-durable queue bound to it with `routingKey`, declared on a
 * connection of the test's own; `remove()` deletes both and closes it.
 */
export async function boundQueue(
  exchange: string,
  queue: string,
  routingKey: string,
): Promise<{ ch: Channel; remove(): Promise<void> }> {
  const model = await amqp.connect(AMQP_URL);
  const ch = await model.createChannel();
  await ch.assertExchange(exchange, 'direct', { durable: false });
  await ch.assertQueue(queue, { durable: false });
  await ch.bindQueue(queue, exchange, routingKey);
  return {
    ch,
    async remove() {
      await ch.deleteQueue(queue);
      await ch.deleteExchange(exchange);
      await model.close();
    },
  };
}
