import type { Logger } from '../shared/logger.js';
import type { AmqpConnection } from '../shared/amqp/connection.js';
import { ManagedChannel } from '../shared/amqp/channel.js';
import type { BusSigner } from '../shared/bus-signature.js';
import { UnavailableError } from '../shared/errors.js';
import type { Names } from '../topology/index.js';
import type { StatusQueueMessage } from '../protocol/index.js';
import type { ServerMetrics } from './metrics.js';

export interface StatusPublisherDeps {
  amqp: AmqpConnection;
  signer: BusSigner;
  names: Names;
  metrics: ServerMetrics;
  logger: Logger;
  confirmTimeoutMs: number;
}

/** The server's confirmed, signed publishes to `status_queue`. */
export class StatusPublisher {
  readonly channel: ManagedChannel;

  constructor(private readonly deps: StatusPublisherDeps) {
    this.channel = new ManagedChannel({
      connection: deps.amqp,
      name: 'server-publisher',
      logger: deps.logger,
      confirmTimeoutMs: deps.confirmTimeoutMs,
    });
  }

  /**
   * Publishes to `status_queue` (the exam's partition; heartbeats on theirs), mandatory: a
   * message no queue takes is refused with UnavailableError, never dropped in silence.
   */
  async publish(message: StatusQueueMessage): Promise<void> {
    const { names, signer, metrics } = this.deps;
    const started = performance.now();
    const body = Buffer.from(JSON.stringify(message));
    // Heartbeats belong to no exam; everything else goes to its exam's partition.
    const routingKey =
      message.type === 'sync_state' || message.data.messageType === 'tick'
        ? names.heartbeatRoutingKey
        : names.statusRoutingKeyFor(message.data.payload.examId);
    const { returned } = await this.channel.publish(names.statusExchange, routingKey, body, {
      persistent: true,
      mandatory: true,
      contentType: 'application/json',
      headers: signer.headers(body),
    });
    if (returned) throw new UnavailableError(`no queue took the message (${routingKey})`);
    metrics.confirmSeconds.observe((performance.now() - started) / 1000);
  }
}
