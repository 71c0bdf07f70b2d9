import { createServer } from 'node:http';
import { healthHandler } from '../shared/health-http.js';
import { requireSecret, type Config } from '../shared/config.js';
import { BusSigner } from '../shared/bus-signature.js';
import type { Logger } from '../shared/logger.js';
import type { Supervised } from '../shared/lifecycle.js';
import { openConnections } from '../shared/runtime.js';
import { loadTopologyFile } from '../topology/index.js';
import { createStateManager } from './index.js';

/** Runs one state-manager worker until it is closed. Returns its closer. */
export async function runStateManager(config: Config, logger: Logger): Promise<Supervised> {
  const signer = new BusSigner(requireSecret(config, 'AUTH_SECRET'));
  const topology = await loadTopologyFile(config.TOPOLOGY_FILE, config.RELAY_NAMESPACE);
  const connections = await openConnections(config, logger, 'state-manager');
  const manager = createStateManager(
    { topology, logger, signer, ...connections },
    {
      prefetch: config.STATE_MANAGER_PREFETCH,
      retentionSeconds: config.HISTORY_RETENTION_SECONDS,
      historyMax: config.HISTORY_MAX_FRAMES,
      examHistoryMax: config.EXAM_HISTORY_MAX_FRAMES,
      confirmTimeoutMs: config.CONFIRM_TIMEOUT_MS,
      heartbeatIntervalMs: config.HEARTBEAT_INTERVAL_MS,
      serverDownAfterMs: config.SERVER_DOWN_AFTER_MS,
      waitReplicas: config.REDIS_WAIT_REPLICAS,
      waitTimeoutMs: config.REDIS_WAIT_TIMEOUT_MS,
    },
  );
  await manager.start();
  const http =
    config.METRICS_PORT === undefined
      ? undefined
      : createServer(healthHandler({ ready: manager.ready, registry: manager.metrics.registry }));
  if (http) {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(config.METRICS_PORT, () => resolve());
    });
    logger.info({ port: config.METRICS_PORT }, 'state manager metrics listening');
  }
  return {
    onFatal: (listener) => connections.onFatal(listener),
    async close() {
      await manager.close();
      if (http) {
        http.closeAllConnections();
        await new Promise<void>((resolve) => http.close(() => resolve()));
      }
      await connections.close();
    },
  };
}
