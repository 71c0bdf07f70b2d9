import type { Logger } from '../shared/logger.js';
import type {
  AckPayload,
  ServerQueueMessage,
  StatusChangeCommand,
  StatusChangeData,
} from '../protocol/index.js';
import type { Recipient, StateStore } from './state-store.js';
import type { Router } from './router.js';
import type { StateManagerMetrics } from './metrics.js';

/**
 * Applies a supervisor's status change and routes it: one publish per server that holds a
 * recipient, then the completion `ack` to the acting supervisor's server. Returns only after
 * every publish is confirmed, so the caller may ack the `status_queue` message.
 */
export async function handleStatusChange(
  command: StatusChangeCommand,
  deps: {
    store: StateStore;
    router: Router;
    logger: Logger;
    metrics: StateManagerMetrics;
    id: string;
  },
): Promise<void> {
  const { store, router, metrics } = deps;
  const { sourceServer, requestId, payload } = command.data;
  // Plain fields, not a logger child: a child per message costs even when nothing is logged.
  const context = { messageId: requestId, clientId: payload.supervisorId, sourceServer };
  const log = deps.logger;

  const audience = await store.audience(payload.examId, payload.targetExamineeId);
  if (!audience) {
    log.info(
      { ...context, targetExamineeId: payload.targetExamineeId },
      'status change refused: examinee not in exam',
    );
    await router.toServer(sourceServer, {
      type: 'route_message',
      data: {
        sourceServer,
        targetServer: sourceServer,
        messageType: 'error',
        requestId,
        payload: {
          clientId: payload.supervisorId,
          code: 'FORBIDDEN',
          message: `examinee ${payload.targetExamineeId ?? ''} is not in exam ${payload.examId}`,
        },
      },
    });
    return;
  }

  const data: StatusChangeData = {
    supervisorId: payload.supervisorId,
    ...(payload.targetExamineeId !== undefined
      ? { targetExamineeId: payload.targetExamineeId }
      : { examId: payload.examId }),
    status: payload.status,
    timestamp: payload.timestamp,
  };
  const supervisors = new Set([...audience.supervisors, payload.supervisorId]);
  const recipients: Recipient[] = [
    ...audience.examinees.map((clientId) => ({ clientId, role: 'examinee' as const })),
    ...[...supervisors].map((clientId) => ({ clientId, role: 'supervisor' as const })),
  ];
  const outcome = await store.applyStatusChange(requestId, data, recipients, audience.examinees, {
    sourceServer,
    stateManager: deps.id,
    processedAt: new Date().toISOString(),
  });
  if (outcome.duplicate) metrics.duplicates.inc();

  const byServer = new Map<string, { clientId: string; seq: number }[]>();
  for (const d of outcome.deliveries) {
    if (!d.serverId) continue;
    const list = byServer.get(d.serverId) ?? [];
    list.push({ clientId: d.clientId, seq: d.seq });
    byServer.set(d.serverId, list);
  }
  const servers = [...byServer.keys()];
  const statusChange = (serverId: string, ack?: AckPayload): ServerQueueMessage => ({
    type: 'route_message',
    data: {
      sourceServer,
      targetServer: serverId,
      messageType: 'status_change',
      requestId,
      payload: outcome.data,
      deliveries: byServer.get(serverId) ?? [],
      ...(ack ? { ack } : {}),
    },
  });
  // The other servers first: which of them are unreachable decides what the ack says.
  const others = servers.filter((serverId) => serverId !== sourceServer);
  const results = await Promise.all(
    others.map((serverId) => router.toServer(serverId, statusChange(serverId))),
  );
  const unreachable = new Set(others.filter((_, i) => results[i]?.returned));
  const routeOf = new Map(outcome.deliveries.map((d) => [d.clientId, d.serverId]));
  const delivered: string[] = [];
  const pending: string[] = [];
  for (const examinee of outcome.examinees) {
    const serverId = routeOf.get(examinee);
    (serverId && !unreachable.has(serverId) ? delivered : pending).push(examinee);
  }
  const ack: AckPayload = {
    supervisorId: payload.supervisorId,
    status: outcome.data.status,
    examinees: outcome.examinees,
    delivered,
    pending,
    timestamp: outcome.data.timestamp,
  };
  await router.toServer(
    sourceServer,
    byServer.has(sourceServer)
      ? statusChange(sourceServer, ack)
      : {
          type: 'route_message',
          data: {
            sourceServer,
            targetServer: sourceServer,
            messageType: 'ack',
            requestId,
            payload: ack,
          },
        },
  );
  metrics.statusChanges.inc({ outcome: outcome.duplicate ? 'duplicate' : 'applied' });
  log.info(
    {
      ...context,
      servers,
      recipients: recipients.length,
      pending: pending.length,
      duplicate: outcome.duplicate,
    },
    'status change applied and routed',
  );
}
