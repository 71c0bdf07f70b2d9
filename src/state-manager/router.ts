import type { ManagedChannel, PublishResult } from '../shared/amqp/channel.js';
import type { Names } from '../topology/index.js';
import {
  MAX_BATCH_MESSAGES,
  STATE_MANAGER,
  type ServerRoute,
  type SingleServerRoute,
  type StateManagerRoute,
  type SyncState,
} from '../protocol/index.js';
import type { BusSigner } from '../shared/bus-signature.js';

/**
 * Publishes what a handler did in Redis. Started in its exam's lane, it publishes before its
 * first await, so each server queue gets the exam's messages in the order they were applied;
 * it resolves once they are confirmed.
 */
export type Route = () => Promise<void>;

/** What is routed to one server in this turn, with who waits for its confirm. */
interface Outgoing {
  messages: SingleServerRoute['data'][];
  waiters: { resolve(result: PublishResult): void; reject(err: unknown): void }[];
}

/** Where the state manager sends what it routes: one server's queue, all of them, or the DLQ. */
export class Router {
  private readonly outgoing = new Map<string, Outgoing>();
  private flushScheduled = false;

  constructor(
    private readonly channel: ManagedChannel,
    private readonly names: Names,
    private readonly signer: BusSigner,
    /** Counts each routed message by message type. */
    private readonly counted: (messageType: string) => void = () => undefined,
  ) {}

  /**
   * Routes to the queue of the message's `targetServer`, mandatory: `returned` is true when
   * that server has no queue right now (it is down or reconnecting), so the message lives only
   * in history. What is routed to one server in the same turn of the event loop leaves as one
   * publish (a `batch`, in the order routed), so a batch of changes costs one message per
   * server, not one per change and server. Resolves once that publish is confirmed.
   */
  toServer(message: SingleServerRoute): Promise<PublishResult> {
    const target = message.data.targetServer;
    this.counted(message.data.messageType);
    return new Promise<PublishResult>((resolve, reject) => {
      let out = this.outgoing.get(target);
      if (!out) {
        out = { messages: [], waiters: [] };
        this.outgoing.set(target, out);
      }
      out.messages.push(message.data);
      out.waiters.push({ resolve, reject });
      if (out.messages.length >= MAX_BATCH_MESSAGES) {
        this.outgoing.delete(target);
        this.publishTo(target, out);
      } else if (!this.flushScheduled) {
        this.flushScheduled = true;
        queueMicrotask(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    for (const [target, out] of this.outgoing) this.publishTo(target, out);
    this.outgoing.clear();
  }

  private publishTo(target: string, out: Outgoing): void {
    const [only] = out.messages;
    const message: ServerRoute =
      out.messages.length === 1 && only
        ? { type: 'route_message', data: only }
        : {
            type: 'route_message',
            data: {
              sourceServer: STATE_MANAGER,
              targetServer: target,
              messageType: 'batch',
              messages: out.messages,
            },
          };
    const body = Buffer.from(JSON.stringify(message));
    this.channel
      .publish(this.names.routeExchange, this.names.serverRoutingKey(target), body, {
        mandatory: true,
        contentType: 'application/json',
        type: message.type,
        headers: this.signer.headers(body),
      })
      .then(
        (result) => out.waiters.forEach((w) => w.resolve(result)),
        (err: unknown) => out.waiters.forEach((w) => w.reject(err)),
      );
  }

  /** Publishes `sync_state` to every server queue and the admin. */
  async broadcast(message: SyncState): Promise<void> {
    const body = Buffer.from(JSON.stringify(message));
    await this.channel.publish(this.names.broadcastExchange, '', body, {
      contentType: 'application/json',
      type: message.type,
      headers: this.signer.headers(body),
    });
  }

  /** Puts a tick on the heartbeat partition of `status_queue` (see `Clock`). */
  async tick(message: StateManagerRoute): Promise<void> {
    const body = Buffer.from(JSON.stringify(message));
    await this.channel.publish(this.names.statusExchange, this.names.heartbeatRoutingKey, body, {
      contentType: 'application/json',
      headers: this.signer.headers(body),
    });
  }

  /** Dead-letters a message the state manager refuses, with the reason in a header. */
  async deadLetter(
    content: Buffer,
    reason: string,
    headers: Record<string, unknown> = {},
  ): Promise<void> {
    await this.channel.publish(this.names.deadLetterExchange, '', content, {
      persistent: true,
      timestamp: Math.floor(Date.now() / 1000),
      headers: { ...headers, 'x-relay-reason': reason.slice(0, 1000) },
    });
  }
}
