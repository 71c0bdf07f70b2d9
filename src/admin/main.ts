import type { Config } from '../shared/config.js';
import { managementUrlOf, requireSecret } from '../shared/config.js';
import type { Logger } from '../shared/logger.js';
import type { Supervised } from '../shared/lifecycle.js';
import { openConnections } from '../shared/runtime.js';
import { loadTopologyFile } from '../topology/index.js';
import { createAdmin } from './index.js';
import { vhostOf } from '../shared/amqp/urls.js';
import type { TryItOptions } from './try-it/index.js';

/** Runs the admin UI and API until it is closed. Returns its closer. */
export async function runAdmin(
  config: Config,
  logger: Logger,
  options: { port: number; tryIt?: TryItOptions },
): Promise<Supervised> {
  const adminToken = requireSecret(config, 'ADMIN_TOKEN');
  const topology = await loadTopologyFile(config.TOPOLOGY_FILE, config.RELAY_NAMESPACE);
  const connections = await openConnections(config, logger, 'admin');
  const admin = createAdmin(
    { ...connections, topology, logger },
    {
      port: options.port,
      adminToken,
      // Used when reachable (message rates, binding checks); when not, the page says so.
      managementUrl: managementUrlOf(config),
      // One vhost for the whole list: config validation refuses a list of several.
      vhost: vhostOf(config.AMQP_URL[0] ?? ''),
      heartbeatIntervalMs: config.HEARTBEAT_INTERVAL_MS,
      confirmTimeoutMs: config.CONFIRM_TIMEOUT_MS,
      ...(options.tryIt ? { tryIt: options.tryIt } : {}),
    },
  );
  try {
    await admin.start();
  } catch (err) {
    await admin.close().catch(() => undefined);
    await connections.close();
    throw err;
  }
  return {
    onFatal: (listener) => connections.onFatal(listener),
    async close() {
      await admin.close();
      await connections.close();
    },
  };
}
