import type { Redis } from 'ioredis';
import type { RedisKeys } from '../shared/redis/keys.js';
import { runScript, type Script } from '../shared/redis/script.js';
import { connectionField } from '../shared/redis/keys.js';
import type { Role, StatusChangeData } from '../protocol/index.js';
import { statusChangeDataFor, statusChangeFrameParts } from '../protocol/index.js';
import { APPLY_STATUS_CHANGE, CONNECT, REMOVE_CONNECTION } from './scripts.js';

export interface StoreOptions {
  /** Seconds a request id is remembered for idempotency, and history is kept. */
  retentionSeconds: number;
  /** Frames kept per client for replay. */
  historyMax: number;
}

export interface Recipient {
  clientId: string;
  role: Role;
}

/** What applying (or re-applying) a change produced: each recipient's seq and route. */
export interface ChangeOutcome {
  duplicate: boolean;
  deliveries: { clientId: string; seq: number; serverId: string | undefined }[];
  /** The examinees the change applied to. */
  examinees: string[];
  /** The change as first applied (a retry with the same id gets this, not its own). */
  data: StatusChangeData;
}

/** Who handled a request, kept with its idempotency record for the admin's trace view. */
export interface RequestTrace {
  sourceServer: string;
  stateManager: string;
  processedAt: string;
}

/** The audience of a change, read before it is applied. */
export interface Audience {
  examinees: string[];
  supervisors: string[];
}

interface StoredAck {
  examinees: string[];
  data: StatusChangeData;
}

type ScriptReply = (string | null)[];

/**
 * The state manager's view of Redis: every read and write of routes, connections, statuses,
 * seqs and history. Keys come from `RedisKeys`; writes are atomic Lua scripts.
 */
export class StateStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly options: StoreOptions,
  ) {}

  private run(script: Script, numKeys: number, ...rest: (string | number)[]): Promise<unknown> {
    return runScript(this.redis, script, numKeys, ...rest);
  }

  /** Examinees a change targets (all of the exam, or one if it belongs to it) and supervisors. */
  async audience(
    examId: string,
    targetExamineeId: string | undefined,
  ): Promise<Audience | undefined> {
    const pipeline = this.redis.pipeline();
    if (targetExamineeId === undefined) pipeline.smembers(this.keys.examExaminees(examId));
    else pipeline.sismember(this.keys.examExaminees(examId), targetExamineeId);
    pipeline.smembers(this.keys.examSupervisors(examId));
    const [target, supervisors] = unwrap(await pipeline.exec());
    if (targetExamineeId !== undefined && target !== 1) return undefined;
    return {
      examinees:
        targetExamineeId === undefined ? ((target as string[]) ?? []).sort() : [targetExamineeId],
      supervisors: ((supervisors as string[]) ?? []).sort(),
    };
  }

  /** Applies a change once: status, seqs, history, idempotency record; returns routes. */
  async applyStatusChange(
    requestId: string,
    payload: StatusChangeData,
    recipients: Recipient[],
    examinees: string[],
    trace: RequestTrace,
  ): Promise<ChangeOutcome> {
    const k = this.keys;
    const keys = [k.request(payload.supervisorId, requestId)];
    const args: (string | number)[] = [
      this.options.retentionSeconds,
      this.options.historyMax,
      this.options.retentionSeconds,
      recipients.length,
      examinees.length,
      JSON.stringify({ examinees, data: payload } satisfies StoredAck),
      payload.status,
      payload.supervisorId,
      payload.timestamp,
      payload.examId ?? '',
      requestId,
      JSON.stringify(trace),
    ];
    for (const r of recipients) {
      keys.push(k.clientSeq(r.clientId), k.clientHistory(r.clientId), k.clientRoute(r.clientId));
      const [prefix, suffix] = statusChangeFrameParts(
        requestId,
        statusChangeDataFor(payload, r.clientId, r.role),
      );
      args.push(r.clientId, prefix, suffix);
    }
    for (const e of examinees) keys.push(k.examineeStatus(e));

    const reply = (await this.run(
      APPLY_STATUS_CHANGE,
      keys.length,
      ...keys,
      ...args,
    )) as ScriptReply;
    const seqs = parseSeqs(reply[1] ?? '');
    if (reply[0] === 'DUP') {
      // Written by this same code in the same script: trusted, not untrusted input.
      const stored = JSON.parse(reply[2] ?? '{}') as StoredAck;
      const routes = await this.routes(seqs.map((s) => s.clientId));
      return {
        duplicate: true,
        deliveries: seqs.map((s, i) => ({ ...s, serverId: routes[i] })),
        examinees: stored.examinees,
        data: stored.data,
      };
    }
    return {
      duplicate: false,
      deliveries: seqs.map((s, i) => ({ ...s, serverId: reply[2 + i] || undefined })),
      examinees,
      data: payload,
    };
  }

  /** The server each client is routed to, in order. */
  async routes(clientIds: string[]): Promise<(string | undefined)[]> {
    if (clientIds.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of clientIds) pipeline.hget(this.keys.clientRoute(id), 'serverId');
    return unwrap(await pipeline.exec()).map((v) => (typeof v === 'string' && v ? v : undefined));
  }

  /** Registers a connection; returns the client's latest seq. */
  async connect(c: {
    clientId: string;
    role: Role;
    examId: string;
    connId: string;
    serverId: string;
    timestamp: string;
  }): Promise<number> {
    const k = this.keys;
    const members = c.role === 'examinee' ? k.examExaminees(c.examId) : k.examSupervisors(c.examId);
    const seq = await this.run(
      CONNECT,
      5,
      k.clientRoute(c.clientId),
      k.serverConnections(c.serverId),
      members,
      k.clientSeq(c.clientId),
      k.servers(),
      c.serverId,
      c.connId,
      c.timestamp,
      c.clientId,
      connectionField(c.clientId),
      c.role,
      c.examId,
    );
    return Number(seq);
  }

  /** Removes a connection; returns who went offline when the client's route went with it. */
  disconnect(c: {
    clientId: string;
    connId: string;
    serverId: string;
  }): Promise<Offline | undefined> {
    return this.removeConnection(c.clientId, c.serverId, 'connId', c.connId);
  }

  /** Removes a client's route if it points at `serverId`; returns who went offline. */
  dropRoute(clientId: string, serverId: string): Promise<Offline | undefined> {
    return this.removeConnection(clientId, serverId, 'serverId', serverId);
  }

  private async removeConnection(
    clientId: string,
    serverId: string,
    field: 'connId' | 'serverId',
    value: string,
  ): Promise<Offline | undefined> {
    const removed = await this.run(
      REMOVE_CONNECTION,
      2,
      this.keys.clientRoute(clientId),
      this.keys.serverConnections(serverId),
      field,
      value,
      connectionField(clientId),
    );
    return offline(clientId, removed);
  }

  /** Supervisors of an exam. */
  async supervisorsOf(examId: string): Promise<string[]> {
    return this.redis.smembers(this.keys.examSupervisors(examId));
  }

  /** Examinees of an exam that are online (have a route), with their server. */
  async onlineExaminees(examId: string): Promise<{ clientId: string; serverId: string }[]> {
    const examinees = await this.redis.smembers(this.keys.examExaminees(examId));
    const routes = await this.routes(examinees);
    return examinees.flatMap((clientId, i) => {
      const serverId = routes[i];
      return serverId ? [{ clientId, serverId }] : [];
    });
  }
}

/** A client whose route was removed: the supervisors of its exam hear it went offline. */
export interface Offline {
  clientId: string;
  role: Role | undefined;
  examId: string | undefined;
}

export const CLIENT_FIELD = connectionField('');

function offline(clientId: string, reply: unknown): Offline | undefined {
  if (!Array.isArray(reply) || reply.length < 2) return undefined;
  const [role, examId] = reply as [string, string];
  return {
    clientId,
    role: role === 'examinee' || role === 'supervisor' ? role : undefined,
    examId: examId || undefined,
  };
}

function parseSeqs(text: string): { clientId: string; seq: number }[] {
  if (!text) return [];
  return text.split(',').map((pair) => {
    const at = pair.lastIndexOf(':');
    return { clientId: pair.slice(0, at), seq: Number(pair.slice(at + 1)) };
  });
}

/** Pipeline results, throwing the first error. */
export function unwrap(results: [Error | null, unknown][] | null): unknown[] {
  if (!results) throw new Error('pipeline discarded');
  return results.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}
