import { connectionField } from '../shared/redis/keys.js';
import { ClientId } from '../protocol/index.js';
import { NotFoundError, requireValid } from './errors.js';
import { unwrap } from '../shared/redis/pipeline.js';
import type { RedisSource } from './redis-util.js';

export interface ClientView {
  clientId: string;
  /** Connected now: the client has a route to a server that lists it. */
  online: boolean;
  /** `client:{id}:route`, or null when the client is offline. */
  route: {
    serverId: string;
    lastConnection: string | null;
    connId: string | null;
    role: string | null;
    examId: string | null;
  } | null;
  /** Status of the route's server (`ACTIVE` / `DOWN`), and when this client connected there. */
  server: { status: string | null; connectedAt: string | null } | null;
  /** The last seq given to a frame for this client (0: none yet). */
  lastSeq: number;
  /** Frames kept for replay on resume. */
  historyFrames: number;
  /** `examinee:{id}:status`, for examinees that have had a status change. */
  status: {
    status: string;
    supervisorId: string | null;
    timestamp: string | null;
    examId: string | null;
    requestId: string | null;
  } | null;
}

/** Everything Redis knows about one client; NotFoundError when it knows nothing. */
export async function readClient(deps: RedisSource, clientId: string): Promise<ClientView> {
  requireValid(ClientId, clientId, 'a client id is 1-64 of A-Z a-z 0-9 _ . -');
  const { redis, keys } = deps;
  const [route, seq, status, history] = unwrap(
    await redis
      .pipeline()
      .hgetall(keys.clientRoute(clientId))
      .get(keys.clientSeq(clientId))
      .hgetall(keys.examineeStatus(clientId))
      .zcard(keys.clientHistory(clientId))
      .exec(),
  ) as [Record<string, string>, string | null, Record<string, string>, number];

  const serverId = route.serverId || undefined;
  let server: ClientView['server'] = null;
  if (serverId) {
    const [serverStatus, connectedAt] = await redis.hmget(
      keys.serverConnections(serverId),
      'status',
      connectionField(clientId),
    );
    server = { status: serverStatus ?? null, connectedAt: connectedAt ?? null };
  }
  const known = Object.keys(route).length > 0 || seq !== null || Object.keys(status).length > 0;
  if (!known) throw new NotFoundError(`no client ${clientId} is known in Redis`);
  return {
    clientId,
    online: Boolean(serverId && server?.connectedAt && server.status !== 'DOWN'),
    route: serverId
      ? {
          serverId,
          lastConnection: route.lastConnection || null,
          connId: route.connId || null,
          role: route.role || null,
          examId: route.examId || null,
        }
      : null,
    server,
    lastSeq: Number(seq ?? 0),
    historyFrames: history,
    status: status.status
      ? {
          status: status.status,
          supervisorId: status.supervisorId || null,
          timestamp: status.timestamp || null,
          examId: status.examId || null,
          requestId: status.requestId || null,
        }
      : null,
  };
}
