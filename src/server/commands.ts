import {
  toStateManagerMessage,
  type ConnectionInfo,
  type Identity,
  type SingleStateManagerRoute,
  type StatusChangeRequest,
  type SyncState,
} from '../protocol/index.js';

/**
 * The messages a socket server puts on `status_queue`, in the seed's `route_message` and
 * `sync_state` envelopes.
 */

/** A client's first socket here opened (`disconnect`: its last closed). */
export function linkCommand(
  serverId: string,
  messageType: 'connect' | 'disconnect',
  link: ConnectionInfo,
  timestamp: string,
): SingleStateManagerRoute {
  const payload = Object.assign({}, link, { timestamp });
  return toStateManagerMessage(serverId, { messageType, payload });
}

/** A supervisor's change: the actor comes from the token, never from the frame. */
export function statusChangeCommand(
  serverId: string,
  actor: Identity,
  frame: StatusChangeRequest,
): SingleStateManagerRoute {
  return toStateManagerMessage(serverId, {
    messageType: 'status_change',
    requestId: frame.id,
    payload: {
      supervisorId: actor.clientId,
      examId: actor.examId,
      targetExamineeId: 'targetExamineeId' in frame.data ? frame.data.targetExamineeId : undefined,
      status: frame.data.status,
      timestamp: new Date().toISOString(),
    },
  });
}

/** This server's heartbeat: the clients it holds, with each connection's identity. */
export function heartbeatMessage(serverId: string, clients: ConnectionInfo[]): SyncState {
  return {
    type: 'sync_state',
    data: {
      servers: {
        [serverId]: { connections: clients.map((c) => c.clientId), status: 'ACTIVE', clients },
      },
      timestamp: new Date().toISOString(),
    },
  };
}
