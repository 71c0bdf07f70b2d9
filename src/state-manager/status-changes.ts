import type { Logger } from '../shared/logger.js';
import {
  toServerMessage,
  type AckPayload,
  type StatusChangeCommand,
  type StatusChangeData,
} from '../protocol/index.js';
import type { ChangeOutcome, StateStore } from './state-store.js';
import type { Route, Router } from './router.js';
import type { StateManagerMetrics } from './metrics.js';

/**
 * Applies a supervisor's status change in Redis and returns how to route it: one publish per
 * server that holds a recipient (examinees' deliveries and the exam's supervisors in one
 * message), then the completion `ack` to the acting supervisor's server once the others are
 * confirmed (which of them are unreachable decides what it says). A change to one examinee is
 * a single Redis call issued before the first await, so a batch of them goes to Redis in one
 * round trip. The route publishes every frame before its first await: started in the exam's
 * lane, each server receives the exam's frames in seq order. It resolves once every publish
 * is confirmed, so the caller may then ack the `status_queue` message.
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
): Promise<Route> {
  const { store, router, metrics } = deps;
  const { sourceServer, requestId, payload } = command.data;
  // Plain fields, not a logger child: a child per message costs even when nothing is logged.
  const context = { messageId: requestId, clientId: payload.supervisorId, sourceServer };
  const log = deps.logger;
  const { examId, targetExamineeId } = payload;
  const trace = { sourceServer, stateManager: deps.id, processedAt: new Date().toISOString() };
  const { supervisorId, status, timestamp } = payload;

  const outcome =
    targetExamineeId !== undefined
      ? await store.applyTargeted({
          requestId,
          examId,
          data: { supervisorId, status, targetExamineeId, timestamp },
          trace,
        })
      : await applyExamWide();
  if (!outcome) {
    log.info({ targetExamineeId, ...context }, 'status change refused: examinee not in exam');
    return async () => {
      await router.toServer(
        toServerMessage(sourceServer, sourceServer, {
          messageType: 'error',
          requestId,
          payload: {
            clientId: payload.supervisorId,
            code: 'FORBIDDEN',
            message: `examinee ${targetExamineeId ?? ''} is not in exam ${examId}`,
          },
        }),
      );
    };
  }
  if (outcome.duplicate) metrics.duplicates.inc();
  return () => route(outcome);

  async function applyExamWide(): Promise<ChangeOutcome> {
    const audience = await store.examAudience(examId);
    const data: StatusChangeData = { supervisorId, status, examId, timestamp };
    return store.applyStatusChange({ requestId, examId, data, audience, trace });
  }

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
    // Every frame is published now, before the first await (see above).
    const published = servers.map((serverId) =>
      router.toServer(
        toServerMessage(sourceServer, serverId, {
          messageType: 'status_change',
          requestId,
          examId,
          epoch: outcome.epoch,
          payload: outcome.data,
          deliveries: byServer.get(serverId) ?? [],
          supervisorSeq: outcome.examSeq,
        }),
      ),
    );
    // The request record's last write, issued with the change, is confirmed while the frames
    // are; the ack waits for both (the ack tells a retry "stored": it must find the record).
    const [results] = await Promise.all([Promise.all(published), outcome.recorded?.()]);
    const unreachable = new Set(servers.filter((_, i) => results[i]?.returned));
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
      toServerMessage(sourceServer, sourceServer, { messageType: 'ack', requestId, payload: ack }),
    );
    metrics.statusChanges.inc({ outcome: outcome.duplicate ? 'duplicate' : 'applied' });
    log.info(
      {
        servers,
        examinees: outcome.examinees.length,
        pending: pending.length,
        duplicate: outcome.duplicate,
        ...context,
      },
      'status change applied and routed',
    );
  }
}
