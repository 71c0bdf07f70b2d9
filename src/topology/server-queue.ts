import type { ConfirmChannel } from 'amqplib';
import type { Topology } from './load.js';

/**
 * Declares one socket server's exclusive queue and binds it. Runs on every (re)connect of the
 * server's consumer channel. While the broker still holds the queue for our previous, dead
 * connection this fails with 405 RESOURCE_LOCKED and closes the channel; the channel's setup
 * retry (shared/amqp/channel.ts) backs off and tries again.
 */
export async function declareServerQueue(
  channel: ConfirmChannel,
  topology: Topology,
  serverId: string,
): Promise<string> {
  const queue = topology.serverQueue(serverId);
  await channel.assertQueue(queue.name, {
    exclusive: true,
    durable: false,
    autoDelete: true,
    arguments: queue.arguments,
  });
  for (const binding of queue.bindings) {
    await channel.bindQueue(queue.name, binding.exchange, binding.routingKey);
  }
  return queue.name;
}
