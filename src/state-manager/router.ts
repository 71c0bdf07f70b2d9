import type { ManagedChannel, PublishResult } from '../shared/amqp/channel.js';
import type { Names } from '../topology/index.js';
import {
  STATE_MANAGER,
  type ServerRoute,
  type SingleServerRoute,
  type SingleStateManagerRoute,
  type StateManagerRoute,
  type SyncState,
} from '../protocol/index.js';
import type { BusSigner } from '../shared/bus-signature.js';
import { TurnBatches } from '../shared/turn-batches.js';
import { UnavailableError } from '../shared/errors.js';

/**
 * Publishes what a handler did in Redis. Started in its exam's lane, it publishes before its
 * first await, so each server queue gets the exam's messages in the order they were applied;
 * it resolves once they are confirmed.
 */
export type Route = () => Promise<void>;

/** Where the state manager sends what it routes: one server's queue, all of them, or the DLQ. */
export class Router {
  /** What is routed to each server in this turn. */
  private readonly batches = new TurnBatches<SingleServerRoute['data'], PublishResult>(
    (target, messages) => this.publishTo(target, messages),
  );

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
    return this.batches.add(target, message.data);
  }

  private publishTo(target: string, messages: SingleServerRoute['data'][]): Promise<PublishResult> {
    const [only] = messages;
    const message: ServerRoute =
      messages.length === 1 && only
        ? { type: 'route_message', data: only }
        : {
            type: 'route_message',
            data: {
              sourceServer: STATE_MANAGER,
              targetServer: target,
              messageType: 'batch',
              messages,
            },
          };
    const body = Buffer.from(JSON.stringify(message));
    return this.channel.publish(
      this.names.routeExchange,
      this.names.serverRoutingKey(target),
      body,
      {
        mandatory: true,
        contentType: 'application/json',
        type: message.type,
        headers: this.signer.headers(body),
      },
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

  /**
   * Puts one command of a batch back on its `status_queue` partition by itself, persistent and
   * mandatory, as a socket server would have published it.
   */
  async resubmit(message: SingleStateManagerRoute, routingKey: string): Promise<void> {
    const body = Buffer.from(JSON.stringify(message));
    const { returned } = await this.channel.publish(this.names.statusExchange, routingKey, body, {
      persistent: true,
      mandatory: true,
      contentType: 'application/json',
      headers: this.signer.headers(body),
    });
    if (returned) throw new UnavailableError(`no queue took the command (${routingKey})`);
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
      headers: Object.assign({}, headers, { 'x-relay-reason': reason.slice(0, 1000) }),
    });
  }
}
