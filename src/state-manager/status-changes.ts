import type { Logger } from '../shared/logger.js';
import {
  toServerMessage,
  type AckPayload,
  type StatusChangeCommand,
  type StatusChangeData,
} from '../protocol/index.js';
import type { ChangeOutcome, StateStore } from './state-store.js';
import type { Router } from './router.js';
import type { StateManagerMetrics } from './metrics.js';

/**
 * Applies a supervisor's status change in Redis and returns how to route it: one publish per
 * server that holds a recipient (examinees' deliveries and the exam's supervisors in one
 * message), the completion `ack` riding in the acting supervisor's server's message. The
 * caller applies the changes of one exam one at a time, in queue order, but may route them
 * concurrently: each recipient's server orders frames by seq. The router resolves only after
 * every publish is confirmed, so the caller may then ack the `status_queue` message.
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
): Promise<() => Promise<void>> {
  const { store, router, metrics } = deps;
  const { sourceServer, requestId, payload } = command.data;
  // Plain fields, not a logger child: a child per message costs even when nothing is logged.
  const context = { messageId: requestId, clientId: payload.supervisorId, sourceServer };
  const log = deps.logger;
  const { examId } = payload;

  const audience = await store.audience(examId, payload.targetExamineeId);
  if (!audience) {
    log.info(
      { ...context, targetExamineeId: payload.targetExamineeId },
      'status change refused: examinee not in exam',
    );
    return async () => {
      await router.toServer(
        toServerMessage(sourceServer, sourceServer, {
          messageType: 'error',
          requestId,
          payload: {
            clientId: payload.supervisorId,
            code: 'FORBIDDEN',
            message: `examinee ${payload.targetExamineeId ?? ''} is not in exam ${examId}`,
          },
        }),
      );
    };
  }

  const data: StatusChangeData = {
    supervisorId: payload.supervisorId,
    ...(payload.targetExamineeId !== undefined
      ? { targetExamineeId: payload.targetExamineeId }
      : { examId }),
    status: payload.status,
    timestamp: payload.timestamp,
  };
  const outcome = await store.applyStatusChange({
    requestId,
    examId,
    data,
    audience,
    trace: { sourceServer, stateManager: deps.id, processedAt: new Date().toISOString() },
  });
  if (outcome.duplicate) metrics.duplicates.inc();
  return () => route(outcome);

  async function route(outcome: ChangeOutcome): Promise<void> {
    const byServer = new Map<string, { clientId: string; seq: number }[]>();
    for (const serverId of outcome.supervisorServers) byServer.set(serverId, []);
    for (const d of outcome.deliveries) {
      for (const serverId of d.servers) {
        const list = byServer.get(serverId) ?? [];
        list.push({ clientId: d.clientId, seq: d.seq });
        byServer.set(serverId, list);
      }
    }
    const servers = [...byServer.keys()];
    const statusChange = (serverId: string, ack?: AckPayload) =>
      toServerMessage(sourceServer, serverId, {
        messageType: 'status_change',
        requestId,
        examId,
        epoch: outcome.epoch,
        payload: outcome.data,
        deliveries: byServer.get(serverId) ?? [],
        supervisorSeq: outcome.examSeq,
        ...(ack ? { ack } : {}),
      });
    // The other servers first: which of them are unreachable decides what the ack says.
    const others = servers.filter((serverId) => serverId !== sourceServer);
    const results = await Promise.all(
      others.map((serverId) => router.toServer(statusChange(serverId))),
    );
    const unreachable = new Set(others.filter((_, i) => results[i]?.returned));
    const serversOf = new Map(outcome.deliveries.map((d) => [d.clientId, d.servers]));
    const delivered: string[] = [];
    const pending: string[] = [];
    for (const examinee of outcome.examinees) {
      const reachable = (serversOf.get(examinee) ?? []).some((s) => !unreachable.has(s));
      (reachable ? delivered : pending).push(examinee);
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
      byServer.has(sourceServer)
        ? statusChange(sourceServer, ack)
        : toServerMessage(sourceServer, sourceServer, {
            messageType: 'ack',
            requestId,
            payload: ack,
          }),
    );
    metrics.statusChanges.inc({ outcome: outcome.duplicate ? 'duplicate' : 'applied' });
    log.info(
      {
        ...context,
        servers,
        examinees: outcome.examinees.length,
        pending: pending.length,
        duplicate: outcome.duplicate,
      },
      'status change applied and routed',
    );
  }
}
