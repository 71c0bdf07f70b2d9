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
 * The acks of one channel's deliveries, sent once per turn of the event loop: one `multiple`
 * ack for the run of settled deliveries at the front (the broker settles them all with one
 * frame), single acks for those settled behind one still held. A nack goes at once, so a
 * later `multiple` ack never covers it.
 */
class TurnAcks {
  /** Unsettled deliveries, oldest (lowest tag) first. */
  private readonly held: ConsumeMessage[] = [];
  private readonly holding = new Set<ConsumeMessage>();
  private readonly acked = new Set<ConsumeMessage>();
  private scheduled = false;

  constructor(
    private readonly channel: ConfirmChannel,
    private readonly safe: (fn: () => void) => void,
  ) {}

  received(message: ConsumeMessage): void {
    this.held.push(message);
    this.holding.add(message);
  }

  ack(message: ConsumeMessage): void {
    if (!this.holding.has(message)) return;
    this.acked.add(message);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  nack(message: ConsumeMessage, requeue: boolean): void {
    if (!this.holding.delete(message)) return;
    this.held.splice(this.held.indexOf(message), 1);
    this.acked.delete(message);
    this.safe(() => this.channel.nack(message, false, requeue));
  }

  private flush(): void {
    this.scheduled = false;
    let front: ConsumeMessage | undefined;
    while (this.held[0] && this.acked.has(this.held[0])) {
      front = this.held.shift();
      if (front) {
        this.acked.delete(front);
        this.holding.delete(front);
      }
    }
    if (front) {
      const last = front;
      this.safe(() => this.channel.ack(last, true));
    }
    if (this.acked.size === 0) return;
    for (const message of this.acked) {
      this.held.splice(this.held.indexOf(message), 1);
      this.holding.delete(message);
      this.safe(() => this.channel.ack(message));
    }
    this.acked.clear();
  }
}

/**
 * Consumes `queue` on `channel`. Acks (batched per turn, see TurnAcks) and nacks go to the
 * channel the message arrived on;
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
  const safe = (fn: () => void) => {
    try {
      fn();
    } catch (err) {
      logger.debug({ err }, 'ack on a closed channel dropped');
    }
  };
  const acks = new TurnAcks(channel, safe);
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
      acks.received(message);
      const delivery: Delivery = {
        message,
        deliveryCount: Number(message.properties.headers?.['x-delivery-count'] ?? 0),
        signal: closed.signal,
        ack: () => acks.ack(message),
        nack: (requeue) => acks.nack(message, requeue),
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
