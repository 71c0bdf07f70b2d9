import type { Logger } from '../shared/logger.js';
import type { AmqpConnection } from '../shared/amqp/connection.js';
import { ManagedChannel } from '../shared/amqp/channel.js';
import type { BusSigner } from '../shared/bus-signature.js';
import { UnavailableError } from '../shared/errors.js';
import type { Names } from '../topology/index.js';
import {
  STATE_MANAGER,
  type ClientCommandData,
  type SingleStateManagerRoute,
  type StatusQueueMessage,
  type SyncState,
} from '../protocol/index.js';
import { TurnBatches } from '../shared/turn-batches.js';
import type { ServerMetrics } from './metrics.js';

export interface StatusPublisherDeps {
  amqp: AmqpConnection;
  signer: BusSigner;
  names: Names;
  metrics: ServerMetrics;
  logger: Logger;
  confirmTimeoutMs: number;
}

/** One message the server puts on `status_queue`: a client's command or a heartbeat. */
export type StatusQueueCommand = SingleStateManagerRoute | SyncState;

/**
 * The server's confirmed, signed publishes to `status_queue`. The commands of one turn of the
 * event loop (its sockets' reads of one poll) bound for one partition leave as one publish,
 * a `route_message` of `messageType: "batch"` in the order they were given; a command alone
 * goes as it is, and so does every heartbeat.
 */
export class StatusPublisher {
  readonly channel: ManagedChannel;
  /** The commands of one turn, per routing key; the reads of one poll count as one turn. */
  private readonly batches = new TurnBatches<ClientCommandData, void>(
    (routingKey, commands) => this.send(routingKey, commandBatch(commands)),
    setImmediate,
  );

  constructor(private readonly deps: StatusPublisherDeps) {
    this.channel = new ManagedChannel({
      connection: deps.amqp,
      name: 'server-publisher',
      logger: deps.logger,
      confirmTimeoutMs: deps.confirmTimeoutMs,
    });
  }

  /**
   * Publishes to `status_queue` (the exam's partition; heartbeats on theirs), mandatory, and
   * resolves once confirmed: a message no queue takes is refused with UnavailableError, never
   * dropped in silence.
   */
  publish(message: StatusQueueCommand): Promise<void> {
    const { names } = this.deps;
    // Heartbeats belong to no exam; everything else goes to its exam's partition.
    if (message.type === 'sync_state') return this.send(names.heartbeatRoutingKey, message);
    const { data } = message;
    if (data.messageType === 'tick') return this.send(names.heartbeatRoutingKey, message);
    return this.batches.add(names.statusRoutingKeyFor(data.payload.examId), data);
  }

  private async send(routingKey: string, message: StatusQueueMessage): Promise<void> {
    const { names, signer, metrics } = this.deps;
    const started = performance.now();
    const body = Buffer.from(JSON.stringify(message));
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

/** A turn's commands for one partition: the command itself when alone, else one batch. */
function commandBatch(commands: ClientCommandData[]): StatusQueueMessage {
  const [only] = commands;
  if (commands.length === 1 && only) return { type: 'route_message', data: only };
  return {
    type: 'route_message',
    data: {
      sourceServer: only?.sourceServer ?? '',
      targetServer: STATE_MANAGER,
      messageType: 'batch',
      messages: commands,
    },
  };
}
