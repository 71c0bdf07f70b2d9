import type { Channel, GetMessage } from 'amqplib';
import type { Logger } from '../shared/logger.js';
import type { AmqpConnection } from '../shared/amqp/connection.js';
import type { ManagedChannel } from '../shared/amqp/channel.js';
import { UnavailableError } from '../shared/errors.js';
import type { Names } from '../topology/names.js';
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

/** At most this many messages are held at once by one listing or action. */
export const MAX_BATCH = 10_000;

interface Deps {
  amqp: AmqpConnection;
  /** The confirm channel replays are published on. */
  publisher: ManagedChannel;
  names: Names;
  logger: Logger;
  metrics: AdminMetrics;
}

/**
 * The dead-letter queue, read and acted on without losing or reordering anything. AMQP has no
 * peek, so every operation basic.get's messages unacked on a channel of its own, acks exactly
 * the ones it replays (after the replay's publish is confirmed) or discards, and returns the
 * rest with one nack-all (quorum queues then redeliver them first, in their original order);
 * if the admin dies meanwhile, the broker returns them the same way when the channel closes.
 * Operations run one at a time so a listing never hides messages from an action.
 * A replay whose ack is lost (channel closed after the confirm) stays in the DLQ and can be
 * replayed twice; status changes are idempotent by request id, so that is safe.
 */
export class DeadLetterQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly log: Logger;

  constructor(private readonly deps: Deps) {
    this.log = deps.logger.child({ queue: deps.names.deadLetterQueue });
  }

  /** The first `limit` dead letters, oldest first. Quorum queues count each browse. */
  list(limit = 100): Promise<DeadLetterList> {
    return this.exclusive(() =>
      this.session(async (take) => {
        const messages: DeadLetter[] = [];
        let depth = 0;
        for (let i = 0; i < limit; i++) {
          const message = await take();
          if (!message) break;
          if (i === 0) depth = message.fields.messageCount + 1;
          messages.push(readDeadLetter(message));
        }
        return {
          queue: this.deps.names.deadLetterQueue,
          depth,
          messages,
          truncated: depth > messages.length,
        };
      }),
    );
  }

  /** Publishes the selected dead letters to status_queue (confirmed), then acks them. */
  replay(selection: Selection): Promise<DeadLetterActionResult> {
    return this.act('replay', selection, async (batch, channel) => {
      const { names, publisher } = this.deps;
      const outcomes = await Promise.allSettled(
        batch.map(({ message, letter }) =>
          publisher.publish(names.statusExchange, names.statusRoutingKey, message.content, {
            persistent: true,
            mandatory: true,
            contentType:
              (message.properties.contentType as string | undefined) ?? 'application/json',
            headers: { 'x-relay-replayed-from': letter.id },
          }),
        ),
      );
      const done: string[] = [];
      const failed: { id: string; error: string }[] = [];
      outcomes.forEach((outcome, i) => {
        const { message, letter } = batch[i] as (typeof batch)[number];
        if (outcome.status === 'fulfilled' && !outcome.value.returned) {
          channel.ack(message);
          done.push(letter.id);
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
    return this.act('discard', selection, async (batch, channel) => {
      for (const { message } of batch) channel.ack(message);
      return { done: batch.map((b) => b.letter.id), failed: [] };
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
      channel: Channel,
    ) => Promise<{ done: string[]; failed: { id: string; error: string }[] }>,
  ): Promise<DeadLetterActionResult> {
    return this.exclusive(() =>
      this.session(async (take, channel) => {
        const wanted = 'ids' in selection ? new Set(selection.ids) : undefined;
        const batch: { message: GetMessage; letter: DeadLetter }[] = [];
        let seen = 0;
        let depth = Infinity;
        // For "all", take what was there when we started: later arrivals stay for next time.
        while (seen < Math.min(depth, MAX_BATCH) && (!wanted || wanted.size > 0)) {
          const message = await take();
          if (!message) break;
          if (seen === 0) depth = message.fields.messageCount + 1;
          seen++;
          const letter = readDeadLetter(message);
          if (wanted && !wanted.delete(letter.id)) continue;
          batch.push({ message, letter });
        }
        const { done, failed } =
          batch.length > 0 ? await apply(batch, channel) : { done: [], failed: [] };
        this.deps.metrics.actions.inc({ action }, done.length);
        if (done.length > 0 || failed.length > 0) {
          this.log.info(
            { action, done: done.length, failed: failed.length },
            `dead letters ${action}ed`,
          );
        }
        for (const f of failed)
          this.log.warn({ id: f.id, err: f.error }, 'dead letter replay failed');
        return {
          action,
          done,
          missing: wanted ? [...wanted] : [],
          failed,
          remaining: depth === Infinity ? 0 : depth - done.length,
        };
      }),
    );
  }

  /**
   * Runs `fn` with a `take` that basic.get's the next message unacked on a fresh channel; what
   * `fn` did not ack goes back with one nack-all, then the channel closes.
   */
  private async session<T>(
    fn: (take: () => Promise<GetMessage | undefined>, channel: Channel) => Promise<T>,
  ): Promise<T> {
    const model = this.deps.amqp.current;
    if (!model) throw new UnavailableError('the broker connection is down');
    const queue = this.deps.names.deadLetterQueue;
    const channel = await model.createChannel();
    let closed = false;
    channel.once('close', () => (closed = true));
    // A 404 closes the channel and amqplib emits it as 'error' too; the failed get reports it.
    channel.on('error', () => undefined);
    const take = async () => {
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
    };
    try {
      return await fn(take, channel);
    } finally {
      if (!closed) {
        try {
          channel.nackAll(true);
        } catch (err) {
          this.log.warn(
            { err: (err as Error).message },
            'nack-all failed; the channel close returns them',
          );
        }
        await channel.close().catch(() => undefined);
      }
    }
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }
}
