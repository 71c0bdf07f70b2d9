import {
  STATE_MANAGER,
  type Identity,
  type StatusChangeRequest,
  type StatusQueueMessage,
} from '../protocol/index.js';
import type { Session } from './session.js';

/**
 * The messages a socket server puts on `status_queue`, in the seed's `route_message` and
 * `sync_state` envelopes.
 */

const envelope = <D extends object>(serverId: string, data: D) => ({
  type: 'route_message' as const,
  data: { sourceServer: serverId, targetServer: STATE_MANAGER as typeof STATE_MANAGER, ...data },
});

/** A session connected (or is the client's newest here after another closed). */
export function connectCommand(
  serverId: string,
  session: Session,
  timestamp: string,
): StatusQueueMessage {
  const { clientId, role, examId } = session.identity;
  return envelope(serverId, {
    messageType: 'connect' as const,
    payload: { clientId, role, examId, connId: session.connId, timestamp },
  });
}

/** A client's last socket here closed. */
export function disconnectCommand(serverId: string, session: Session): StatusQueueMessage {
  return envelope(serverId, {
    messageType: 'disconnect' as const,
    payload: {
      clientId: session.clientId,
      connId: session.connId,
      timestamp: new Date().toISOString(),
    },
  });
}

/** A supervisor's change: the actor comes from the token, never from the frame. */
export function statusChangeCommand(
  serverId: string,
  actor: Identity,
  frame: StatusChangeRequest,
): StatusQueueMessage {
  return envelope(serverId, {
    messageType: 'status_change' as const,
    requestId: frame.id,
    payload: {
      supervisorId: actor.clientId,
      examId: actor.examId,
      ...('targetExamineeId' in frame.data
        ? { targetExamineeId: frame.data.targetExamineeId }
        : {}),
      status: frame.data.status,
      timestamp: new Date().toISOString(),
    },
  });
}

/** This server's heartbeat: the clients it holds. */
export function heartbeatMessage(serverId: string, clientIds: string[]): StatusQueueMessage {
  return {
    type: 'sync_state',
    data: {
      servers: { [serverId]: { connections: clientIds, status: 'ACTIVE' } },
      timestamp: new Date().toISOString(),
    },
  };
}
