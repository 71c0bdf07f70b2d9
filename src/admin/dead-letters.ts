import type { Channel, ChannelModel, GetMessage } from 'amqplib';
import type { Logger } from '../shared/logger.js';
import type { AmqpConnection } from '../shared/amqp/connection.js';
import type { ManagedChannel } from '../shared/amqp/channel.js';
import { TopologyError, UnavailableError } from '../shared/errors.js';
import { sleep } from '../shared/backoff.js';
import { SIGNATURE_HEADER } from '../shared/bus-signature.js';
import type { Names } from '../topology/index.js';
import { NotFoundError } from './errors.js';
import { readDeadLetter, type DeadLetter } from './dead-letter-message.js';
import type { AdminMetrics } from './metrics.js';

export interface DeadLetterList {
  queue: string;
  /** Messages in the queue when the listing started. */
  depth: number;
  messages: DeadLetter[];
  /** More messages exist than were listed (see `limit`). */
  truncated: boolean;
}

export interface DeadLetterActionResult {
  action: 'replay' | 'discard';
  /** Ids replayed (published to status_queue, confirmed, then acked) or discarded (acked). */
  done: string[];
  /** Asked-for ids that are not in the queue (any more). */
  missing: string[];
  /** Ids whose replay failed; they stay in the dead-letter queue. */
  failed: { id: string; error: string }[];
  /** Messages still in the dead-letter queue afterwards. */
  remaining: number;
}

/** Which messages an action applies to. */
export type Selection = { ids: string[] } | { all: true };

/**
 * A replay carries the original `x-relay-signature`: the signature covers the body only, so
 * a message a socket server signed is accepted again. The admin never signs anything itself:
 * that would launder a forged message that was dead-lettered for its bad signature.
 */
function replayHeaders(message: GetMessage, id: string): Record<string, unknown> {
  const signature: unknown = message.properties.headers?.[SIGNATURE_HEADER];
  return {
    'x-relay-replayed-from': id,
    ...(signature !== undefined ? { [SIGNATURE_HEADER]: signature } : {}),
  };
}

const NOT_ACKED = 'the dead-letter channel closed before the ack, so it is still in the DLQ';

/** At most this many messages are held at once by one listing or action. */
export const MAX_BATCH = 10_000;

interface Deps {
  amqp: AmqpConnection;
  /** The confirm channel replays are published on. */
  publisher: ManagedChannel;
  names: Names;
  logger: Logger;
  metrics: AdminMetrics;
  /** The DLQ's x-delivery-limit in the topology, if it has one (it must not). */
  deliveryLimit?: number | undefined;
}

/**
 * The dead-letter queue, read and acted on without losing or reordering anything. AMQP has no
 * peek, so every operation basic.get's the messages unacked on a channel of its own, acks
 * exactly the ones it replays (after the replay's publish is confirmed) or discards, and
 * closes the channel, which gives the rest back. If the admin dies meanwhile, the broker gives
 * them back the same way.
 *
 * Order: a quorum queue (RabbitMQ 3.10+) appends messages given back by a channel close to a
 * "returns" list that it serves before its other messages; a basic.nack with requeue appends
 * them to the tail of the queue instead. Either way, giving back part of what was taken
 * reorders it. So every operation takes the whole queue (as deep as it was when the operation
 * began, at most MAX_BATCH) and gives it back by closing the channel: the returns list then
 * holds exactly those messages, in their order, ahead of anything that arrived meanwhile.
 * Each listing counts one delivery per message (x-delivery-count), so the DLQ must have no
 * delivery limit (the constructor refuses one).
 *
 * Operations run one at a time. A replay whose ack is lost (the channel closes after the
 * confirm) stays in the DLQ and may be replayed twice; status changes are idempotent by request
 * id, connects and disconnects are reconciled by the next heartbeat.
 */
export class DeadLetterQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly log: Logger;

  constructor(private readonly deps: Deps) {
    this.log = deps.logger.child({ queue: deps.names.deadLetterQueue });
    if (deps.deliveryLimit !== undefined) {
      // Browsing counts deliveries: with a limit, looking at dead letters would drop them.
      throw new TopologyError(
        `${deps.names.deadLetterQueue} has x-delivery-limit ${deps.deliveryLimit}; the admin reads dead letters by redelivering them, so the dead-letter queue must have no delivery limit`,
      );
    }
  }

  /** The first `limit` dead letters, oldest first. Each listing counts one delivery each. */
  list(limit = 100): Promise<DeadLetterList> {
    return this.exclusive(() =>
      this.session(async (taken, depth) => ({
        queue: this.deps.names.deadLetterQueue,
        depth,
        messages: taken.slice(0, limit).map(readDeadLetter),
        truncated: depth > limit,
      })),
    );
  }

  /** Publishes the selected dead letters to status_queue (confirmed), then acks them. */
  replay(selection: Selection): Promise<DeadLetterActionResult> {
    return this.act('replay', selection, async (batch, ack) => {
      const { names, publisher } = this.deps;
      const outcomes = await Promise.allSettled(
        batch.map(({ message, letter }) =>
          publisher.publish(names.statusExchange, names.statusRoutingKey, message.content, {
            persistent: true,
            mandatory: true,
            contentType:
              (message.properties.contentType as string | undefined) ?? 'application/json',
            headers: replayHeaders(message, letter.id),
          }),
        ),
      );
      const done: string[] = [];
      const failed: { id: string; error: string }[] = [];
      outcomes.forEach((outcome, i) => {
        const { message, letter } = batch[i] as (typeof batch)[number];
        if (outcome.status === 'fulfilled' && !outcome.value.returned) {
          if (ack(message)) done.push(letter.id);
          else failed.push({ id: letter.id, error: `replayed, but ${NOT_ACKED}` });
        } else {
          const error =
            outcome.status === 'rejected'
              ? (outcome.reason as Error).message
              : `no queue is bound to ${names.statusExchange} with key "${names.statusRoutingKey}"`;
          failed.push({ id: letter.id, error });
        }
      });
      return { done, failed };
    });
  }

  /** Acks (drops) the selected dead letters. */
  discard(selection: Selection): Promise<DeadLetterActionResult> {
    return this.act('discard', selection, async (batch, ack) => {
      const done: string[] = [];
      const failed: { id: string; error: string }[] = [];
      for (const { message, letter } of batch) {
        if (ack(message)) done.push(letter.id);
        else failed.push({ id: letter.id, error: NOT_ACKED });
      }
      return { done, failed };
    });
  }

  /** Waits for the operation in progress. */
  async drain(): Promise<void> {
    await this.tail;
  }

  private act(
    action: 'replay' | 'discard',
    selection: Selection,
    apply: (
      batch: { message: GetMessage; letter: DeadLetter }[],
      ack: (message: GetMessage) => boolean,
    ) => Promise<{ done: string[]; failed: { id: string; error: string }[] }>,
  ): Promise<DeadLetterActionResult> {
    return this.exclusive(() =>
      this.session(async (taken, depth, ack) => {
        const wanted = 'ids' in selection ? new Set(selection.ids) : undefined;
        const batch: { message: GetMessage; letter: DeadLetter }[] = [];
        for (const message of taken) {
          const letter = readDeadLetter(message);
          // An id names one message; of identical twins (same id), the first is taken.
          if (wanted && !wanted.delete(letter.id)) continue;
          batch.push({ message, letter });
        }
        const { done, failed } =
          batch.length > 0 ? await apply(batch, ack) : { done: [], failed: [] };
        this.deps.metrics.actions.inc({ action }, done.length);
        if (done.length > 0 || failed.length > 0) {
          this.log.info(
            { action, done: done.length, failed: failed.length },
            `dead letters ${action}ed`,
          );
        }
        for (const f of failed)
          this.log.warn({ id: f.id, err: f.error }, `dead letter ${action} failed`);
        return {
          action,
          done,
          missing: wanted ? [...wanted] : [],
          failed,
          remaining: depth - done.length,
        };
      }),
    );
  }

  /**
   * Takes every message of the DLQ (as deep as it was at the first get, at most MAX_BATCH)
   * unacked on a fresh channel and runs `fn` with them; then closes the channel, which gives
   * back whatever `fn` did not ack, in order (see the class comment).
   */
  private async session<T>(
    fn: (taken: GetMessage[], depth: number, ack: (message: GetMessage) => boolean) => Promise<T>,
  ): Promise<T> {
    const model = this.deps.amqp.current;
    if (!model) throw new UnavailableError('the broker connection is down');
    const queue = this.deps.names.deadLetterQueue;
    const channel = await model.createChannel();
    let closed = false;
    channel.once('close', () => (closed = true));
    // A 404 closes the channel and amqplib emits it as 'error' too; the failed get reports it.
    channel.on('error', () => undefined);
    let depth = 0;
    let acked = 0;
    try {
      const taken: GetMessage[] = [];
      while (taken.length < Math.min(depth, MAX_BATCH) || taken.length === 0) {
        const message = await this.get(channel, queue);
        if (!message) break;
        if (taken.length === 0) depth = message.fields.messageCount + 1;
        taken.push(message);
      }
      return await fn(taken, depth, (message) => {
        if (closed) return false;
        channel.ack(message);
        acked++;
        return true;
      });
    } finally {
      if (!closed) await channel.close().catch(() => undefined);
      if (depth > acked) await this.givenBack(model, queue, depth - acked);
    }
  }

  /**
   * Waits until the queue holds at least `expected` messages again: a quorum queue applies
   * the give-back of a closed channel through its Raft log, after the close-ok, so the next
   * operation (or a passive declare) could otherwise miss them for a moment.
   */
  private async givenBack(model: ChannelModel, queue: string, expected: number): Promise<void> {
    const deadline = Date.now() + 3000;
    const channel = await model.createChannel().catch(() => undefined);
    if (!channel) return;
    channel.on('error', () => undefined);
    try {
      while (Date.now() < deadline) {
        const { messageCount } = await channel.checkQueue(queue);
        if (messageCount >= expected) return;
        await sleep(10);
      }
      this.log.warn({ expected }, 'dead letters not yet visible again after 3 s');
    } catch (err) {
      this.log.warn({ err }, 'cannot check the dead-letter queue depth');
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  private async get(channel: Channel, queue: string): Promise<GetMessage | undefined> {
    try {
      const message = await channel.get(queue, { noAck: false });
      return message === false ? undefined : message;
    } catch (err) {
      if ((err as { code?: unknown }).code === 404) {
        throw new NotFoundError(`dead-letter queue ${queue} does not exist (topology declared?)`);
      }
      throw new UnavailableError(`cannot read ${queue}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }
}
