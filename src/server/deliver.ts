import type { Logger } from '../shared/logger.js';
import {
  statusChangeDataFor,
  statusChangeFrameJson,
  statusChangeFrameParts,
  type AckPayload,
  type AckRoute,
  type ConnectedRoute,
  type ErrorRoute,
  type PresenceRoute,
  type ServerQueueMessage,
  type StatusChangeRoute,
} from '../protocol/index.js';
import type { SessionRegistry } from './session.js';
import type { ServerMetrics } from './metrics.js';

/**
 * Pushes what the state manager routed to this server to the local sockets it names.
 * Clients not connected here (they moved or left) are skipped: their frames are in history.
 */
export function deliverRouted(
  message: ServerQueueMessage,
  deps: { sessions: SessionRegistry; metrics: ServerMetrics; logger: Logger },
): void {
  if (message.type === 'sync_state') return; // the admin shows it; sockets do not need it
  // TypeScript does not narrow on the nested discriminant; the schema parse guarantees shapes.
  switch (message.data.messageType) {
    case 'status_change':
      return statusChange(message as StatusChangeRoute, deps);
    case 'ack':
      return ack(message as AckRoute, deps);
    case 'error':
      return error(message as ErrorRoute, deps);
    case 'presence':
      return presence(message as PresenceRoute, deps);
    case 'connected':
      return connected(message as ConnectedRoute, deps);
  }
}

type Deps = Parameters<typeof deliverRouted>[1];

function statusChange(message: StatusChangeRoute, deps: Deps): void {
  const { sessions, metrics, logger } = deps;
  const { requestId, payload, deliveries } = message.data;
  const sentAt = Date.parse(payload.timestamp);
  const delivered: string[] = [];
  // Every supervisor (and, for a targeted change, every recipient) sees the same data: encode
  // it once per message, not once per socket.
  const shared = statusChangeFrameParts(requestId, payload);
  for (const { clientId, seq } of deliveries) {
    for (const session of sessions.of(clientId)) {
      const data = statusChangeDataFor(payload, clientId, session.identity.role);
      const text =
        data === payload
          ? `${shared[0]}${seq}${shared[1]}`
          : statusChangeFrameJson(seq, requestId, data);
      if (session.delivery?.offer(seq, text)) {
        metrics.deliverySeconds.observe((Date.now() - sentAt) / 1000);
        delivered.push(clientId);
      } else metrics.duplicatesDropped.inc();
    }
  }
  logger.info(
    { messageId: requestId, supervisorId: payload.supervisorId, delivered },
    'status change delivered',
  );
  // After the deliveries of the same change.
  if (message.data.ack) sendAck(requestId, message.data.ack, deps);
}

function ack(message: AckRoute, deps: Deps): void {
  sendAck(message.data.requestId, message.data.payload, deps);
}

/** The completion reply to the acting supervisor's sockets here. */
function sendAck(requestId: string, payload: AckPayload, { sessions }: Deps): void {
  for (const session of sessions.of(payload.supervisorId)) {
    session.send({
      type: 'ack',
      id: requestId,
      data: {
        status: payload.status,
        examinees: payload.examinees,
        timestamp: payload.timestamp,
        delivered: payload.delivered,
        pending: payload.pending,
      },
    });
  }
}

function error(message: ErrorRoute, { sessions }: Deps): void {
  const { requestId, payload } = message.data;
  for (const session of sessions.of(payload.clientId)) {
    session.send({ type: 'error', id: requestId, code: payload.code, message: payload.message });
  }
}

function presence(message: PresenceRoute, { sessions }: Deps): void {
  const { payload, recipients } = message.data;
  for (const clientId of recipients) {
    for (const session of sessions.of(clientId)) session.send({ type: 'presence', data: payload });
  }
}

function connected(message: ConnectedRoute, { sessions }: Deps): void {
  const { clientId, seq } = message.data.payload;
  for (const session of sessions.of(clientId)) session.delivery?.syncTo(seq);
}
