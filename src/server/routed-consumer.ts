import type { Logger } from '../shared/logger.js';
import type { AmqpConnection } from '../shared/amqp/connection.js';
import { ManagedChannel } from '../shared/amqp/channel.js';
import { consume } from '../shared/amqp/consumer.js';
import { SIGNATURE_HEADER, type BusSigner } from '../shared/bus-signature.js';
import { declareServerQueue, type Topology } from '../topology/index.js';
import { ServerQueueMessage, parseJson } from '../protocol/index.js';
import type { ServerMetrics } from './metrics.js';
import type { SessionRegistry } from './session.js';
import { deliverRouted } from './deliver.js';

export interface RoutedConsumerDeps {
  amqp: AmqpConnection;
  signer: BusSigner;
  topology: Topology;
  sessions: SessionRegistry;
  metrics: ServerMetrics;
  logger: Logger;
}

/**
 * The server's side of the bus: claims its exclusive `{serverId}_queue` (again after every
 * reconnect), drops what is not signed or does not parse, and hands each routed message to the
 * local sessions it is for. Every delivery is acked: delivery order and catch-up come from
 * history, not from redelivery.
 */
export class RoutedConsumer {
  readonly channel: ManagedChannel;
  private consumerTag: string | undefined;

  constructor(deps: RoutedConsumerDeps, serverId: string) {
    const log = deps.logger;
    this.channel = new ManagedChannel({
      connection: deps.amqp,
      name: 'server-consumer',
      logger: log,
      prefetch: 512,
      setup: async (channel) => {
        const queue = await declareServerQueue(channel, deps.topology, serverId);
        this.consumerTag = await consume(
          channel,
          queue,
          async (delivery) => {
            const { content, properties } = delivery.message;
            if (!deps.signer.verify(content, properties.headers?.[SIGNATURE_HEADER])) {
              log.error('routed message with a bad signature dropped');
            } else {
              const parsed = parseJson(ServerQueueMessage, content.toString('utf8'));
              if (parsed.ok) {
                deliverRouted(parsed.value, {
                  sessions: deps.sessions,
                  metrics: deps.metrics,
                  logger: log,
                });
              } else log.error({ reason: parsed.error }, 'invalid routed message dropped');
            }
            delivery.ack();
          },
          log,
          { exclusive: true },
        );
      },
    });
    // Anything routed while our queue was gone (broker restart, RESOURCE_LOCKED retries) is in
    // history: every local client catches up once the queue is back. Presence has no history:
    // the supervisors here get a fresh snapshot instead, so nobody who came or went meanwhile
    // is missed.
    this.channel.on('ready', () => {
      for (const session of deps.sessions.all()) {
        void session.delivery.fill();
        if (session.identity.role === 'supervisor') void session.sendSnapshot();
      }
    });
  }

  /** Cancels the consumer (nothing more is delivered), then closes the channel. */
  async close(): Promise<void> {
    const channel = this.channel.current;
    if (channel && this.consumerTag) await channel.cancel(this.consumerTag).catch(() => undefined);
    await this.channel.close();
  }
}
