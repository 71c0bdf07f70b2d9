import type { Logger } from '../shared/logger.js';
import type { AmqpConnection } from '../shared/amqp/connection.js';
import { ManagedChannel } from '../shared/amqp/channel.js';
import type { Names } from '../topology/index.js';
import { SyncState, parseJson } from '../protocol/index.js';
import type { AdminMetrics } from './metrics.js';

/**
 * Listens to the state manager's `sync_state` broadcasts: an exclusive, auto-delete,
 * server-named queue bound to the fanout exchange, re-declared by the channel's setup after
 * every reconnect. Broadcasts are snapshots, so a few lost while reconnecting do not matter;
 * the queue is capped so a stalled admin does not pile them up.
 */
export function subscribeSyncState(
  deps: { amqp: AmqpConnection; names: Names; logger: Logger; metrics: AdminMetrics },
  onState: (state: SyncState, receivedAt: Date) => void,
): ManagedChannel {
  const log = deps.logger;
  return new ManagedChannel({
    connection: deps.amqp,
    name: 'admin-sync-state',
    logger: log,
    setup: async (channel) => {
      const { queue } = await channel.assertQueue('', {
        exclusive: true,
        autoDelete: true,
        durable: false,
        arguments: { 'x-max-length': 16 },
      });
      await channel.bindQueue(queue, deps.names.broadcastExchange, '');
      await channel.consume(
        queue,
        (message) => {
          if (!message) return;
          const parsed = parseJson(SyncState, message.content.toString('utf8'));
          if (!parsed.ok) {
            deps.metrics.syncStates.inc({ result: 'invalid' });
            log.warn({ reason: parsed.error }, 'invalid sync_state ignored');
            return;
          }
          deps.metrics.syncStates.inc({ result: 'ok' });
          onState(parsed.value, new Date());
        },
        { noAck: true },
      );
      log.debug({ queue }, 'listening to sync_state');
    },
  });
}
