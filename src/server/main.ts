import type { Config } from '../shared/config.js';
import { requireSecret } from '../shared/config.js';
import type { Logger } from '../shared/logger.js';
import type { Supervised } from '../shared/lifecycle.js';
import { openConnections } from '../shared/runtime.js';
import { BusSigner } from '../shared/bus-signature.js';
import { loadTopologyFile } from '../topology/index.js';
import { createSocketServer } from './index.js';

/** Runs one socket server until it is closed. Returns its closer. */
export async function runServer(
  config: Config,
  logger: Logger,
  options: { serverId: string; port: number },
): Promise<Supervised> {
  const authSecret = requireSecret(config, 'AUTH_SECRET');
  const topology = await loadTopologyFile(config.TOPOLOGY_FILE, config.RELAY_NAMESPACE);
  const connections = await openConnections(config, logger, options.serverId);
  const server = createSocketServer(
    { topology, logger, signer: new BusSigner(authSecret), ...connections },
    {
      serverId: options.serverId,
      port: options.port,
      authSecret,
      heartbeatIntervalMs: config.HEARTBEAT_INTERVAL_MS,
      confirmTimeoutMs: config.CONFIRM_TIMEOUT_MS,
      maxFrameBytes: config.MAX_FRAME_BYTES,
      maxConnections: config.MAX_CONNECTIONS,
      maxSocketsPerClient: config.MAX_SOCKETS_PER_CLIENT,
      rateLimitPerSecond: config.RATE_LIMIT_PER_SECOND,
      rateLimitBurst: config.RATE_LIMIT_BURST,
      allowedOrigins: config.ALLOWED_ORIGINS,
      brokerLostCloseMs: config.BROKER_LOST_CLOSE_MS,
    },
  );
  await server.start();
  return {
    onFatal: (listener) => connections.onFatal(listener),
    async close() {
      await server.close();
      await connections.close();
    },
  };
}
