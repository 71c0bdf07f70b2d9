import type { Logger } from '../shared/logger.js';
import {
  toServerMessage,
  type ConnectCommand,
  type ConnectionInfo,
  type DisconnectCommand,
  type SyncState,
} from '../protocol/index.js';
import type { Offline, StateStore } from './state-store.js';
import type { Route, Router } from './router.js';
import type { ServerRegistry } from './server-registry.js';
import type { Clock } from './clock.js';

interface Deps {
  store: StateStore;
  router: Router;
  logger: Logger;
  clock: Clock;
}

/**
 * Registers a connection, tells its server the client's latest seq (so the server can fill
 * anything routed elsewhere meanwhile), and tells the exam's supervisors an examinee came
 * online. A supervisor learns who is online from the snapshot its server sends.
 */
export async function handleConnect(command: ConnectCommand, deps: Deps): Promise<Route> {
  const { sourceServer, payload } = command.data;
  const route = await register(deps, sourceServer, payload, payload.timestamp);
  deps.logger.debug({ clientId: payload.clientId, serverId: sourceServer }, 'client connected');
  return route;
}

/** Removes a connection (one Redis call, issued before the first await); routes presence. */
export async function handleDisconnect(command: DisconnectCommand, deps: Deps): Promise<Route> {
  const { sourceServer, payload } = command.data;
  const gone = await deps.store.disconnect({
    clientId: payload.clientId,
    connId: payload.connId,
    serverId: sourceServer,
    at: payload.timestamp,
  });
  deps.logger.debug(
    { clientId: payload.clientId, serverId: sourceServer, offline: Boolean(gone) },
    'client disconnected',
  );
  return async () => {
    if (gone) await announceOffline(deps, sourceServer, [gone]);
  };
}

/** A server's heartbeat: record it and reconcile Redis with the connections it reports. */
export async function handleHeartbeat(
  message: SyncState,
  deps: Deps & { servers: ServerRegistry },
): Promise<void> {
  const takenAt = message.data.timestamp;
  for (const [serverId, state] of Object.entries(message.data.servers)) {
    const { offline, missing } = await deps.servers.heartbeat(serverId, state.clients ?? [], {
      takenAt,
      heardAt: deps.clock.heardAt() ?? new Date().toISOString(),
    });
    if (offline.length > 0) await announceOffline(deps, serverId, offline);
    // Connects Redis lost (it was emptied) or never saw: restore them with their real
    // identity, and catch the clients up on what they missed.
    for (const info of missing) await (await register(deps, serverId, info, takenAt, takenAt))();
  }
}

/**
 * Registers a connection in one Redis call (issued before the first await) and returns how
 * to tell its server the client's seq and the supervisors that it came online.
 */
async function register(
  deps: Deps,
  serverId: string,
  info: ConnectionInfo,
  at: string,
  restoreTakenAt?: string,
): Promise<Route> {
  const connected = await deps.store.connect(
    {
      clientId: info.clientId,
      role: info.role,
      examId: info.examId,
      connId: info.connId,
      serverId,
      at,
      heardAt: deps.clock.heardAt() ?? new Date().toISOString(),
    },
    restoreTakenAt,
  );
  return async () => {
    if (!connected) return;
    const online = info.role === 'examinee' && connected.wentOnline;
    await Promise.all([
      deps.router.toServer(
        toServerMessage(serverId, serverId, {
          messageType: 'connected',
          payload: { clientId: info.clientId, seq: connected.seq, epoch: connected.epoch },
        }),
      ),
      online && announce(deps, info.examId, { clientId: info.clientId, online, serverId }),
    ]);
  };
}

/** Tells the supervisors of each offline examinee's exam that it left. */
export async function announceOffline(
  deps: Pick<Deps, 'store' | 'router'>,
  serverId: string,
  offline: Offline[],
): Promise<void> {
  for (const o of offline) {
    if (o.role !== 'examinee' || !o.examId) continue;
    await announce(deps, o.examId, { clientId: o.clientId, online: false, serverId });
  }
}

async function announce(
  deps: Pick<Deps, 'store' | 'router'>,
  examId: string,
  presence: { clientId: string; online: boolean; serverId: string },
): Promise<void> {
  const servers = await deps.store.supervisorServers(examId);
  await Promise.all(
    servers.map((serverId) =>
      deps.router.toServer(
        toServerMessage(presence.serverId, serverId, {
          messageType: 'presence',
          examId,
          payload: presence,
        }),
      ),
    ),
  );
}
