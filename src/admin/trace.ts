import { z } from 'zod';
import { ClientId, RequestId, StatusChangeData } from '../protocol/index.js';
import { NotFoundError, requireValid } from './errors.js';
import { escapeGlob, scanKeys, type RedisSource } from './redis-util.js';

/** The request record's `ack` field, as the state manager writes it. */
const StoredAck = z.object({ examinees: z.array(z.string()), data: StatusChangeData });
/** The request record's `trace` field. */
const StoredTrace = z.object({
  sourceServer: z.string(),
  stateManager: z.string(),
  processedAt: z.string(),
});

export interface TraceRecipient {
  clientId: string;
  role: 'examinee' | 'supervisor';
  /** The seq the change got for this client. */
  seq: number;
  /**
   * The server it was routed to live, or null: the client had no route then, and gets the
   * change from its history when it connects or resumes.
   */
  routedTo: string | null;
}

export interface RequestTrace {
  supervisorId: string;
  requestId: string;
  /** Seconds until the record expires (the retention window). */
  expiresInSeconds: number | null;
  /** The socket server that received the request from the supervisor. */
  receivedBy: string | null;
  /** The state manager that applied it, and when. */
  processedBy: string | null;
  processedAt: string | null;
  /** The change as applied. */
  change: z.infer<typeof StatusChangeData> | null;
  examinees: string[];
  recipients: TraceRecipient[];
  /** Servers it was routed to, each with the clients it was routed there for. */
  servers: { serverId: string; clients: string[] }[];
  /** Recipients that were offline: they get it on resume. */
  pending: string[];
}

/**
 * A request's path, from its idempotency record `request:{supervisorId}:{requestId}`:
 * received by which server, processed by which state manager, routed to which servers for
 * which clients (with their seqs). Without a supervisor id, every supervisor's request with
 * that id is found by SCAN. Records last the retention window (24 h by default).
 */
export async function traceRequest(
  deps: RedisSource,
  requestId: string,
  supervisorId?: string,
): Promise<RequestTrace[]> {
  requireValid(RequestId, requestId, 'a request id is 1-64 printable ASCII characters');
  if (supervisorId !== undefined) {
    requireValid(ClientId, supervisorId, 'a supervisor id is 1-64 of A-Z a-z 0-9 _ . -');
  }
  const { redis, keys } = deps;
  const found = supervisorId
    ? [{ key: keys.request(supervisorId, requestId), supervisorId }]
    : await findRequests(deps, requestId);
  const traces: RequestTrace[] = [];
  for (const { key, supervisorId: owner } of found) {
    const [record, ttl] = await Promise.all([redis.hgetall(key), redis.ttl(key)]);
    if (!record.seqs && !record.ack) continue;
    traces.push(toTrace(owner, requestId, record, ttl));
  }
  if (traces.length === 0) {
    const who = supervisorId ? ` of supervisor ${supervisorId}` : '';
    throw new NotFoundError(`no request ${requestId}${who} in the retention window`);
  }
  return traces;
}

async function findRequests(
  deps: RedisSource,
  requestId: string,
): Promise<{ key: string; supervisorId: string }[]> {
  // request:{supervisorId}:{requestId}; supervisor ids cannot contain ':', request ids can.
  const prefix = deps.keys.request('', '');
  const pattern = `${escapeGlob(prefix.slice(0, -1))}*:${escapeGlob(requestId)}`;
  const { keys } = await scanKeys(deps.redis, pattern, { limit: 50 });
  return keys.flatMap((key) => {
    const rest = key.slice(prefix.length - 1);
    const colon = rest.indexOf(':');
    const supervisorId = rest.slice(0, colon);
    return colon > 0 && rest.slice(colon + 1) === requestId ? [{ key, supervisorId }] : [];
  });
}

function toTrace(
  supervisorId: string,
  requestId: string,
  record: Record<string, string>,
  ttl: number,
): RequestTrace {
  const ack = parse(StoredAck, record.ack);
  const trace = parse(StoredTrace, record.trace);
  const routes = new Map(
    splitPairs(record.routes).map(([clientId, serverId]) => [clientId, serverId || null]),
  );
  const examinees = new Set(ack?.examinees ?? []);
  const recipients = splitPairs(record.seqs).map(([clientId, seq]): TraceRecipient => ({
    clientId,
    role: examinees.has(clientId) ? 'examinee' : 'supervisor',
    seq: Number(seq),
    routedTo: routes.get(clientId) ?? null,
  }));
  const byServer = new Map<string, string[]>();
  for (const r of recipients) {
    if (r.routedTo) byServer.set(r.routedTo, [...(byServer.get(r.routedTo) ?? []), r.clientId]);
  }
  return {
    supervisorId,
    requestId,
    expiresInSeconds: ttl >= 0 ? ttl : null,
    receivedBy: trace?.sourceServer ?? null,
    processedBy: trace?.stateManager ?? null,
    processedAt: trace?.processedAt ?? null,
    change: ack?.data ?? null,
    examinees: ack?.examinees ?? [],
    recipients,
    servers: [...byServer]
      .map(([serverId, clients]) => ({ serverId, clients }))
      .sort((a, b) => a.serverId.localeCompare(b.serverId)),
    pending: recipients.filter((r) => !r.routedTo).map((r) => r.clientId),
  };
}

/** "a:1,b:2" -> [["a","1"],["b","2"]]; splits each pair at its last ':'. */
function splitPairs(text: string | undefined): [string, string][] {
  if (!text) return [];
  return text.split(',').map((pair) => {
    const at = pair.lastIndexOf(':');
    return [pair.slice(0, at), pair.slice(at + 1)];
  });
}

function parse<S extends z.ZodType>(schema: S, text: string | undefined): z.infer<S> | undefined {
  if (!text) return undefined;
  try {
    const result = schema.safeParse(JSON.parse(text));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}
