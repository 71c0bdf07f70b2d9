import type { Logger } from '../shared/logger.js';
import type { ConnectCommand, DisconnectCommand, SyncState } from '../protocol/index.js';
import type { Offline, StateStore } from './state-store.js';
import type { Router } from './router.js';
import type { ServerRegistry } from './server-registry.js';

interface Deps {
  store: StateStore;
  router: Router;
  logger: Logger;
}

/**
 * Registers a connection, tells its server the client's latest seq (so the server can fill
 * anything routed elsewhere meanwhile), and tells the exam's supervisors an examinee is
 * online, or tells a new supervisor which examinees are.
 */
export async function handleConnect(command: ConnectCommand, deps: Deps): Promise<void> {
  const { store, router } = deps;
  const { sourceServer, payload } = command.data;
  const seq = await store.connect({ ...payload, serverId: sourceServer });
  await router.toServer(sourceServer, {
    type: 'route_message',
    data: {
      sourceServer,
      targetServer: sourceServer,
      messageType: 'connected',
      payload: { clientId: payload.clientId, seq },
    },
  });
  if (payload.role === 'examinee') {
    await announce(deps, payload.examId, {
      clientId: payload.clientId,
      online: true,
      serverId: sourceServer,
    });
  } else {
    const online = await store.onlineExaminees(payload.examId);
    await Promise.all(
      online.map((e) =>
        router.toServer(
          sourceServer,
          presenceRoute(sourceServer, [payload.clientId], { ...e, online: true }),
        ),
      ),
    );
  }
  deps.logger.debug(
    { clientId: payload.clientId, serverId: sourceServer, seq },
    'client connected',
  );
}

export async function handleDisconnect(command: DisconnectCommand, deps: Deps): Promise<void> {
  const { sourceServer, payload } = command.data;
  const gone = await deps.store.disconnect({ ...payload, serverId: sourceServer });
  if (gone) await announceOffline(deps, sourceServer, [gone]);
  deps.logger.debug(
    { clientId: payload.clientId, serverId: sourceServer, offline: Boolean(gone) },
    'client disconnected',
  );
}

/** A server's heartbeat: record it and reconcile Redis with the connections it reports. */
export async function handleHeartbeat(
  message: SyncState,
  deps: Deps & { servers: ServerRegistry },
): Promise<void> {
  for (const [serverId, state] of Object.entries(message.data.servers)) {
    const { offline, restored } = await deps.servers.heartbeat(
      serverId,
      state.connections,
      message.data.timestamp,
    );
    if (offline.length > 0) await announceOffline(deps, serverId, offline);
    // Their connects were lost (e.g. Redis was reset): catch them up on what they missed.
    await Promise.all(
      restored.map(({ clientId, seq }) =>
        deps.router.toServer(serverId, {
          type: 'route_message',
          data: {
            sourceServer: serverId,
            targetServer: serverId,
            messageType: 'connected',
            payload: { clientId, seq },
          },
        }),
      ),
    );
  }
}

/** Tells the supervisors of each offline examinee's exam that it left. */
export async function announceOffline(
  deps: Deps,
  serverId: string,
  offline: Offline[],
): Promise<void> {
  for (const o of offline) {
    if (o.role !== 'examinee' || !o.examId) continue;
    await announce(deps, o.examId, { clientId: o.clientId, online: false, serverId });
  }
}

async function announce(
  deps: Deps,
  examId: string,
  presence: { clientId: string; online: boolean; serverId: string },
): Promise<void> {
  const supervisors = await deps.store.supervisorsOf(examId);
  if (supervisors.length === 0) return;
  const routes = await deps.store.routes(supervisors);
  const byServer = new Map<string, string[]>();
  supervisors.forEach((id, i) => {
    const serverId = routes[i];
    if (serverId) byServer.set(serverId, [...(byServer.get(serverId) ?? []), id]);
  });
  await Promise.all(
    [...byServer].map(([serverId, recipients]) =>
      deps.router.toServer(serverId, presenceRoute(serverId, recipients, presence)),
    ),
  );
}

function presenceRoute(
  serverId: string,
  recipients: string[],
  payload: { clientId: string; online: boolean; serverId: string },
) {
  return {
    type: 'route_message' as const,
    data: {
      sourceServer: payload.serverId,
      targetServer: serverId,
      messageType: 'presence' as const,
      payload,
      recipients,
    },
  };
}
