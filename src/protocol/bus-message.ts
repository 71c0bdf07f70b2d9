import { z } from 'zod';
import {
  ClientId,
  ExamId,
  ExamineeStatus,
  RequestId,
  Role,
  Seq,
  ServerId,
  Timestamp,
} from './common.js';
import { ErrorCode } from './codes.js';
import { StatusChangeData } from './server-frame.js';

/**
 * Messages between processes, in the seed's envelopes (seeds/000 §19.4): `route_message`
 * (`sourceServer`, `targetServer`, `messageType`, `payload`) and `sync_state`. One union per
 * direction: what socket servers put on `status_queue`, and what the state manager routes to
 * a server's queue. Both ends validate.
 */

/** The state manager as a `targetServer`. */
export const STATE_MANAGER = 'state-manager';

const inbound = <
  M extends string,
  P extends z.ZodType,
  E extends z.ZodRawShape = Record<never, never>,
>(
  messageType: M,
  payload: P,
  extra?: E,
) =>
  z.strictObject({
    type: z.literal('route_message'),
    data: z.strictObject({
      sourceServer: ServerId,
      targetServer: z.literal(STATE_MANAGER),
      messageType: z.literal(messageType),
      payload,
      ...(extra as E),
    }),
  });

/** A supervisor's change. `examId` is the supervisor's exam (from the token); no target = all. */
export const StatusChangeCommand = inbound(
  'status_change',
  z.strictObject({
    supervisorId: ClientId,
    examId: ExamId,
    targetExamineeId: ClientId.optional(),
    status: ExamineeStatus,
    timestamp: Timestamp,
  }),
  { requestId: RequestId },
);

export const ConnectCommand = inbound(
  'connect',
  z.strictObject({
    clientId: ClientId,
    role: Role,
    examId: ExamId,
    connId: z.uuid(),
    timestamp: Timestamp,
  }),
);

export const DisconnectCommand = inbound(
  'disconnect',
  z.strictObject({ clientId: ClientId, connId: z.uuid(), timestamp: Timestamp }),
);

/** Connections and status of servers: a heartbeat names one server, a broadcast all of them. */
export const SyncState = z.strictObject({
  type: z.literal('sync_state'),
  data: z.strictObject({
    servers: z.record(
      ServerId,
      z.strictObject({
        connections: z.array(ClientId).max(1_000_000),
        status: z.enum(['ACTIVE', 'DOWN']),
      }),
    ),
    timestamp: Timestamp,
  }),
});

/** Everything a socket server may put on `status_queue`. */
export const StatusQueueMessage = z.union([
  StatusChangeCommand,
  ConnectCommand,
  DisconnectCommand,
  SyncState,
]);

const outbound = <
  M extends string,
  P extends z.ZodType,
  E extends z.ZodRawShape = Record<never, never>,
>(
  messageType: M,
  payload: P,
  extra?: E,
) =>
  z.strictObject({
    type: z.literal('route_message'),
    data: z.strictObject({
      sourceServer: ServerId,
      targetServer: ServerId,
      messageType: z.literal(messageType),
      payload,
      ...(extra as E),
    }),
  });

export const Delivery = z.strictObject({ clientId: ClientId, seq: Seq });

/** The completion reply for the acting supervisor. */
export const AckPayload = z.strictObject({
  supervisorId: ClientId,
  status: ExamineeStatus,
  examinees: z.array(ClientId),
  delivered: z.array(ClientId),
  pending: z.array(ClientId),
  timestamp: Timestamp,
});

/**
 * A change to push to local clients; `deliveries` says who gets which seq. On the acting
 * supervisor's own server it also carries the `ack`, sent after the deliveries: one message
 * instead of two.
 */
export const StatusChangeRoute = outbound('status_change', StatusChangeData, {
  requestId: RequestId,
  deliveries: z.array(Delivery).min(1),
  ack: AckPayload.optional(),
});

/** The completion reply alone, when the acting supervisor's server holds no recipient. */
export const AckRoute = outbound('ack', AckPayload, { requestId: RequestId });

/** A refused request, for the acting supervisor. */
export const ErrorRoute = outbound(
  'error',
  z.strictObject({
    clientId: ClientId,
    code: z.enum(Object.keys(ErrorCode) as [ErrorCode, ...ErrorCode[]]),
    message: z.string().max(500),
  }),
  { requestId: RequestId },
);

/** An examinee came or went; for the listed supervisors. */
export const PresenceRoute = outbound(
  'presence',
  z.strictObject({ clientId: ClientId, online: z.boolean(), serverId: ServerId }),
  { recipients: z.array(ClientId).min(1) },
);

/**
 * The state manager registered a client on this server; `seq` is the client's latest seq at
 * that moment, so the server can fill anything that was routed elsewhere meanwhile.
 */
export const ConnectedRoute = outbound(
  'connected',
  z.strictObject({ clientId: ClientId, seq: z.number().int().min(0) }),
);

/** Everything the state manager may route to a server's queue. */
export const ServerQueueMessage = z.union([
  StatusChangeRoute,
  AckRoute,
  ErrorRoute,
  PresenceRoute,
  ConnectedRoute,
  SyncState,
]);

export type StatusChangeCommand = z.infer<typeof StatusChangeCommand>;
export type ConnectCommand = z.infer<typeof ConnectCommand>;
export type DisconnectCommand = z.infer<typeof DisconnectCommand>;
export type SyncState = z.infer<typeof SyncState>;
export type StatusQueueMessage = z.infer<typeof StatusQueueMessage>;
export type Delivery = z.infer<typeof Delivery>;
export type StatusChangeRoute = z.infer<typeof StatusChangeRoute>;
export type AckRoute = z.infer<typeof AckRoute>;
export type AckPayload = z.infer<typeof AckPayload>;
export type ErrorRoute = z.infer<typeof ErrorRoute>;
export type PresenceRoute = z.infer<typeof PresenceRoute>;
export type ConnectedRoute = z.infer<typeof ConnectedRoute>;
export type ServerQueueMessage = z.infer<typeof ServerQueueMessage>;
