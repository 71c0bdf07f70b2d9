import { z } from 'zod';
import { ClientId, ExamId, RequestId, Role, Seq, ServerId, Timestamp } from './common.js';
import type { ExamStatus } from './server-frame.js';
import { Ack, Epoch, ErrorFrameCode, Presence, StatusChangeData } from './server-frame.js';

/**
 * Messages between processes, in the seed's envelopes (seeds/000 §19.4): `route_message`
 * (`sourceServer`, `targetServer`, `messageType`, `payload`) and `sync_state`. One union per
 * direction, each a discriminated union on `type` whose `route_message` member holds a
 * discriminated union on `data.messageType`, so a `switch` narrows without a cast and a new
 * message type is a compile error wherever it is not handled. Both ends validate.
 */

/** The state manager as a `targetServer`. */
export const STATE_MANAGER = 'state-manager';

/** One `route_message` kind: its `messageType` and fields beside the envelope's. */
const kind = <M extends string, S extends z.ZodRawShape>(
  target: z.ZodType<string>,
  messageType: M,
  shape: S,
) =>
  z.strictObject({
    sourceServer: ServerId,
    targetServer: target,
    messageType: z.literal(messageType),
    ...shape,
  });

const toStateManager = <M extends string, S extends z.ZodRawShape>(messageType: M, shape: S) =>
  kind(z.literal(STATE_MANAGER), messageType, shape);
const toServer = <M extends string, S extends z.ZodRawShape>(messageType: M, shape: S) =>
  kind(ServerId, messageType, shape);

/** A client's presence on one socket server: one `connId` while it holds any socket there. */
export const ConnectionInfo = z.strictObject({
  clientId: ClientId,
  role: Role,
  examId: ExamId,
  connId: z.uuid(),
});
export type ConnectionInfo = z.infer<typeof ConnectionInfo>;

/**
 * A supervisor's change: the frame's data, with `examId` always set to the supervisor's exam
 * (from the token); no target = all.
 */
const StatusChangeCommandData = toStateManager('status_change', {
  requestId: RequestId,
  payload: StatusChangeData.required({ examId: true }),
});

const LinkPayload = ConnectionInfo.extend({ timestamp: Timestamp });

/** A client's first socket on the source server opened. */
const ConnectCommandData = toStateManager('connect', { payload: LinkPayload });

/** A client's last socket on the source server closed. */
const DisconnectCommandData = toStateManager('disconnect', { payload: LinkPayload });

/**
 * The state managers' own clock through `status_queue`: consuming a tick published at T proves
 * every heartbeat published before T has been heard (no backlog, no outage in between).
 */
const TickData = toStateManager('tick', { payload: z.strictObject({ timestamp: Timestamp }) });

/** A `route_message` envelope whose `data` is one of `kinds`, told apart by `messageType`. */
const routeOf = <
  K extends readonly [z.core.$ZodTypeDiscriminable, ...z.core.$ZodTypeDiscriminable[]],
>(
  kinds: K,
) =>
  z.strictObject({
    type: z.literal('route_message'),
    data: z.discriminatedUnion('messageType', kinds),
  });

const ClientCommandKinds = [
  StatusChangeCommandData,
  ConnectCommandData,
  DisconnectCommandData,
] as const;

/** Most messages one `batch` carries (either direction). */
export const MAX_BATCH_MESSAGES = 1000;

/**
 * What one socket server put on one `status_queue` partition in one turn, in the order its
 * clients sent it: one publish, one confirm, one signature and one parse for all of it.
 */
const CommandBatchData = toStateManager('batch', {
  messages: z
    .array(z.discriminatedUnion('messageType', ClientCommandKinds))
    .min(1)
    .max(MAX_BATCH_MESSAGES),
});

/** One command for the state manager, not a batch. */
export const SingleStateManagerRoute = routeOf([...ClientCommandKinds, TickData]);

export const StateManagerRoute = routeOf([...ClientCommandKinds, TickData, CommandBatchData]);
export type StateManagerRoute = z.infer<typeof StateManagerRoute>;
export type SingleStateManagerRoute = z.infer<typeof SingleStateManagerRoute>;
/** A client's command (not a tick, not a batch): what a command batch carries. */
export type ClientCommandData = z.infer<(typeof ClientCommandKinds)[number]>;

/**
 * Connections and status of servers: a heartbeat names one server (with `clients`, each
 * connection's identity, so reconciliation restores real connections), a broadcast all.
 */
export const SyncState = z.strictObject({
  type: z.literal('sync_state'),
  data: z.strictObject({
    servers: z.record(
      ServerId,
      z.strictObject({
        connections: z.array(ClientId).max(1_000_000),
        status: z.enum(['ACTIVE', 'DOWN']),
        clients: z.array(ConnectionInfo).max(1_000_000).optional(),
      }),
    ),
    timestamp: Timestamp,
  }),
});
export type SyncState = z.infer<typeof SyncState>;

/** Everything that may be put on `status_queue`. */
export const StatusQueueMessage = z.discriminatedUnion('type', [StateManagerRoute, SyncState]);
export type StatusQueueMessage = z.infer<typeof StatusQueueMessage>;

export const Delivery = z.strictObject({ clientId: ClientId, seq: Seq });
export type Delivery = z.infer<typeof Delivery>;

/** The completion reply for the acting supervisor: the `ack` frame's data, every field set. */
export const AckPayload = Ack.shape.data
  .required({ delivered: true, pending: true })
  .extend({ supervisorId: ClientId });
export type AckPayload = z.infer<typeof AckPayload>;

/**
 * A change to push to local clients: `deliveries` says which examinee gets which seq, and every
 * local supervisor of `examId` gets it with `supervisorSeq` (supervisors share the exam's
 * stream).
 */
const StatusChangeRouteData = toServer('status_change', {
  requestId: RequestId,
  examId: ExamId,
  epoch: Epoch,
  payload: StatusChangeData,
  deliveries: z.array(Delivery),
  supervisorSeq: Seq,
});

/**
 * The completion reply, to the acting supervisor's server once every frame of the change is
 * confirmed (which servers were unreachable decides `delivered` and `pending`).
 */
const AckRouteData = toServer('ack', { requestId: RequestId, payload: AckPayload });

/** A refused request, for the acting supervisor. */
const ErrorRouteData = toServer('error', {
  requestId: RequestId,
  payload: z.strictObject({
    clientId: ClientId,
    code: ErrorFrameCode,
    message: z.string().max(500),
  }),
});

/** An examinee came or went; for every local supervisor of `examId`. */
const PresenceRouteData = toServer('presence', {
  examId: ExamId,
  payload: Presence.shape.data,
});

/**
 * The state manager registered a client on this server; `seq` is the client's latest seq at
 * that moment (in `epoch`), so the server can fill anything routed elsewhere meanwhile.
 */
const ConnectedRouteData = toServer('connected', {
  payload: z.strictObject({ clientId: ClientId, seq: z.number().int().min(0), epoch: Epoch }),
});

const SingleServerRouteKinds = [
  StatusChangeRouteData,
  AckRouteData,
  ErrorRouteData,
  PresenceRouteData,
  ConnectedRouteData,
] as const;

/**
 * What the state manager routed to one server in one turn, in the order it was routed: one
 * publish, one signature and one parse for all of them.
 */
const BatchRouteData = toServer('batch', {
  messages: z
    .array(z.discriminatedUnion('messageType', SingleServerRouteKinds))
    .min(1)
    .max(MAX_BATCH_MESSAGES),
});

/** One message for a server's queue, not a batch. */
export const SingleServerRoute = routeOf(SingleServerRouteKinds);
export type SingleServerRoute = z.infer<typeof SingleServerRoute>;

export const ServerRoute = routeOf([...SingleServerRouteKinds, BatchRouteData]);
export type ServerRoute = z.infer<typeof ServerRoute>;

/** Everything the state manager may route to a server's queue. */
export const ServerQueueMessage = z.discriminatedUnion('type', [ServerRoute, SyncState]);
export type ServerQueueMessage = z.infer<typeof ServerQueueMessage>;

/** One `route_message` kind by its `messageType`, e.g. `RouteOf<ServerRoute, 'ack'>`. */
export type RouteOf<R extends { data: { messageType: string } }, M extends string> = {
  type: 'route_message';
  data: Extract<R['data'], { messageType: M }>;
};
export type StatusChangeCommand = RouteOf<StateManagerRoute, 'status_change'>;
export type ConnectCommand = RouteOf<StateManagerRoute, 'connect'>;
export type DisconnectCommand = RouteOf<StateManagerRoute, 'disconnect'>;
export type StatusChangeRoute = RouteOf<ServerRoute, 'status_change'>;

/** Without the envelope's fields: what a builder of one kind is given. */
type Body<D> = D extends unknown ? Omit<D, 'sourceServer' | 'targetServer'> : never;

/** The one builder of `route_message` envelopes, for every role and every kind. */
export function routeMessage<D extends SingleStateManagerRoute['data'] | SingleServerRoute['data']>(
  sourceServer: string,
  targetServer: D['targetServer'],
  body: Body<D>,
): { type: 'route_message'; data: D } {
  return { type: 'route_message', data: { sourceServer, targetServer, ...body } as D };
}

/** A command for the state manager from `sourceServer`. */
export function toStateManagerMessage(
  sourceServer: string,
  body: Body<SingleStateManagerRoute['data']>,
): SingleStateManagerRoute {
  return routeMessage<SingleStateManagerRoute['data']>(sourceServer, STATE_MANAGER, body);
}

/** A message for one server's queue. */
export function toServerMessage(
  sourceServer: string,
  targetServer: string,
  body: Body<SingleServerRoute['data']>,
): SingleServerRoute {
  return routeMessage<SingleServerRoute['data']>(sourceServer, targetServer, body);
}

/** Exam status in the snapshot and welcome; re-exported for bus users. */
export type { ExamStatus };
