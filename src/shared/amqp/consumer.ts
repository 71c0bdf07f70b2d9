import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { Logger } from '../logger.js';

/** One delivered message with acknowledgements bound to the channel it came on. */
export interface Delivery {
  message: ConsumeMessage;
  /** Times the broker says this message was delivered before (quorum queues count it). */
  deliveryCount: number;
  /** Aborts when the channel the message came on closes: it can no longer be acked. */
  signal: AbortSignal;
  ack(): void;
  /** Requeue (true) counts against the delivery limit; false dead-letters it. */
  nack(requeue: boolean): void;
}

export type DeliveryHandler = (delivery: Delivery) => Promise<void>;

/**
 * Consumes `queue` on `channel`. Acks and nacks go to the channel the message arrived on;
 * if that channel has closed meanwhile, they are dropped, since the broker will redeliver.
 * Returns the consumer tag.
 */
export async function consume(
  channel: ConfirmChannel,
  queue: string,
  handler: DeliveryHandler,
  logger: Logger,
  options: { exclusive?: boolean } = {},
): Promise<string> {
  const closed = new AbortController();
  channel.once('close', () => closed.abort());
  const { consumerTag } = await channel.consume(
    queue,
    (message) => {
      if (!message) {
        // basic.cancel from the broker: the queue was deleted or its node lost. Closing the
        // channel makes its ManagedChannel reopen it and re-run the setup, which declares the
        // queue and consumes again.
        logger.warn({ queue }, 'consumer cancelled by the broker; setting it up again');
        channel.close().catch(() => undefined);
        return;
      }
      const safe = (fn: () => void) => {
        try {
          fn();
        } catch (err) {
          logger.debug({ err }, 'ack on a closed channel dropped');
        }
      };
      const delivery: Delivery = {
        message,
        deliveryCount: Number(message.properties.headers?.['x-delivery-count'] ?? 0),
        signal: closed.signal,
        ack: () => safe(() => channel.ack(message)),
        nack: (requeue) => safe(() => channel.nack(message, false, requeue)),
      };
      handler(delivery).catch((err: unknown) => {
        logger.error({ err }, 'delivery handler failed; requeueing');
        delivery.nack(true);
      });
    },
    { noAck: false, exclusive: options.exclusive ?? false },
  );
  return consumerTag;
}
