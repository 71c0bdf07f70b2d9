import type { ManagedChannel, PublishResult } from '../shared/amqp/channel.js';
import type { Names } from '../topology/names.js';
import type { ServerQueueMessage, SyncState } from '../protocol/index.js';
import type { BusSigner } from '../shared/bus-signature.js';

/** Where the state manager sends what it routes: one server's queue, all of them, or the DLQ. */
export class Router {
  constructor(
    private readonly channel: ManagedChannel,
    private readonly names: Names,
    private readonly signer: BusSigner,
    /** Counts each routed publish by message type. */
    private readonly counted: (messageType: string) => void = () => undefined,
  ) {}

  /**
   * Publishes to one server's queue, mandatory: `returned` is true when that server has no
   * queue right now (it is down or reconnecting), so the message lives only in history.
   */
  toServer(serverId: string, message: ServerQueueMessage): Promise<PublishResult> {
    const body = Buffer.from(JSON.stringify(message));
    this.counted(message.type === 'sync_state' ? message.type : message.data.messageType);
    return this.channel.publish(
      this.names.routeExchange,
      this.names.serverRoutingKey(serverId),
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
