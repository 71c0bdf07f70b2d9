import type { Redis } from 'ioredis';
import { keyAffixes, type RedisKeys } from '../shared/redis/keys.js';
import { newEpochId } from '../shared/redis/commands.js';
import { unwrap } from '../shared/redis/pipeline.js';
import { readSet } from '../shared/redis/scan.js';
import {
  SeqList,
  StoredAck,
  SupervisorConnectionField,
  WideFrameRef,
  WideFrameTemplate,
  type RequestTrace,
} from '../shared/redis/records.js';
import type { ConnectionInfo, Role, StatusChangeData } from '../protocol/index.js';
import { examineeFrameTemplate, statusChangeFrameParts } from '../protocol/index.js';
import { stateScripts, type ChangeArgs, type StateScripts } from './scripts.js';

export type { RequestTrace } from '../shared/redis/records.js';

export interface StoreOptions {
  /** Seconds a request id is remembered for idempotency, and history is kept. */
  retentionSeconds: number;
  /** Frames kept per examinee for replay. */
  historyMax: number;
  /**
   * Every seq is on a replica before it is routed (REDIS_WAIT_REPLICAS > 0), so a failover to
   * that replica keeps the epoch (see `EPOCH_INLINE`). Default false: a failover changes it.
   */
  durableFailover?: boolean;
  /** Frames kept per exam stream (every change of the exam: what supervisors replay). */
  examHistoryMax: number;
}

/**
 * Examinees written per script call: keeps each call well under 5 ms whatever the exam's
 * size (about 5 µs of Redis time per examinee here, 2026-12-07).
 */
export const EXAMINEES_PER_PART = 100;

/** Connections per keep-alive call: a few writes each, so a call stays well under 1 ms. */
const KEPT_ALIVE_PER_CALL = 100;

/** What applying (or re-applying) a change produced. */
export interface ChangeOutcome {
  duplicate: boolean;
  epoch: string;
  /** The exam stream's seq of the change: the seq every supervisor sees. */
  examSeq: number;
  /** Each examinee's seq and the servers it holds sockets on. */
  deliveries: { clientId: string; seq: number; servers: string[] }[];
  /** Servers holding sockets of the exam's supervisors. */
  supervisorServers: string[];
  /** The examinees the change applied to. */
  examinees: string[];
  /** The change as first applied (a retry with the same id gets this, not its own). */
  data: StatusChangeData;
  /**
   * Resolves once the rest of the request record (an exam-wide change's ack and trace) is
   * written; absent when the change's own call wrote it all. The write is already issued, so
   * the route awaits it beside its publishes; called again after a failure, it writes again.
   */
  recorded?: () => Promise<void>;
}

/** The audience of a change, read before it is applied. */
export interface Audience {
  examinees: string[];
  supervisors: string[];
}

/** A client whose last connection went: the supervisors of its exam hear it went offline. */
export interface Offline {
  clientId: string;
  role: Role | undefined;
  examId: string | undefined;
}

/** A registered connection: the client's latest seq and whether it just came online. */
export interface Connected {
  seq: number;
  epoch: string;
  wentOnline: boolean;
}

/**
 * The state manager's view of Redis: every read and write of routes, connections, statuses,
 * seqs and history. Keys come from `RedisKeys`, record formats from `records.ts`; writes are
 * atomic Lua scripts.
 */
export class StateStore {
  private readonly scripts: StateScripts;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly options: StoreOptions,
  ) {
    this.scripts = stateScripts(redis);
  }

  /** The arguments every change script takes, for the record of `request`. */
  private changeArgs(request: string): ChangeArgs {
    return {
      request,
      requestTtl: this.options.retentionSeconds,
      historyMax: this.options.historyMax,
      examHistoryMax: this.options.examHistoryMax,
      historyTtl: this.options.retentionSeconds,
      epochKey: this.keys.epoch(),
      newEpoch: newEpochId(),
      durable: this.options.durableFailover ?? false,
    };
  }

  /** Every examinee of an exam (sorted) and its supervisors: the audience of an exam-wide change. */
  async examAudience(examId: string): Promise<Audience> {
    const k = this.keys;
    const [examinees, supervisors] = await Promise.all([
      readSet(this.redis, k.examExaminees(examId)),
      readSet(this.redis, k.examSupervisors(examId)),
    ]);
    return { examinees: examinees.sort(), supervisors };
  }

  /**
   * Runs `issue`, and sends the changes to one examinee it applies (`applyTargeted`) in calls
   * of TARGETED_PER_CALL when it returns, or when it sends any other script first. Redis
   * applies everything in the order `issue` asked for it, as without this.
   */
  batched<T>(issue: () => T): T {
    return this.scripts.batched(issue);
  }

  /**
   * Applies a change to one examinee in a single Redis call (membership, audience and the
   * request record included) and returns its outcome, or undefined when the examinee is not
   * in the exam. The call is issued before this returns its promise (inside `batched`, with
   * the run it belongs to), so the changes of one exam issued one after another reach Redis
   * together and apply in that order.
   */
  applyTargeted(c: {
    requestId: string;
    examId: string;
    data: StatusChangeData & { targetExamineeId: string };
    trace: RequestTrace;
  }): Promise<ChangeOutcome | undefined> {
    const k = this.keys;
    const { requestId, examId, data } = c;
    const id = data.targetExamineeId;
    // The examinee's frame is this one too: a targeted change's data is what every recipient
    // sees (`statusChangeDataFor`).
    const [prefix, suffix] = statusChangeFrameParts(requestId, data);
    const ack: StoredAck = { examinees: [id], data };
    // The shared arguments spread last: a property after a spread is slow (eslint.config.js).
    const reply = this.scripts.applyTargeted({
      examineesKey: k.examExaminees(examId),
      supervisorsKey: k.examSupervisors(examId),
      supervisorIndexKey: k.examSupervisorConnections(examId),
      actorConnsKey: k.clientConnections(data.supervisorId),
      supervisorId: data.supervisorId,
      ack: JSON.stringify(ack),
      trace: JSON.stringify(c.trace),
      exam: {
        seqKey: k.examSeq(examId),
        historyKey: k.examHistory(examId),
        prefix,
        suffix,
        statusKey: k.examineeStatus(id),
        status: data.status,
        supervisorId: data.supervisorId,
        timestamp: data.timestamp,
        requestId,
        examId,
      },
      examinee: {
        id,
        seqKey: k.clientSeq(id),
        historyKey: k.clientHistory(id),
        connsKey: k.clientConnections(id),
      },
      ...this.changeArgs(k.request(data.supervisorId, requestId)),
    });
    return reply.then((r) => {
      const [verdict, epoch, examSeq, seqs, examineeServers, supervisorServers, stored] = r.map(
        (v) => String(v ?? ''),
      );
      if (verdict === 'FORBIDDEN') return undefined;
      const duplicate = verdict === 'DUP';
      // Written by this same store: a record that does not parse is a bug, not input.
      const first = duplicate ? StoredAck.parse(JSON.parse(stored ?? 'null')) : ack;
      return {
        duplicate,
        epoch: epoch ?? '',
        examSeq: Number(examSeq),
        deliveries: SeqList.decode(seqs ?? '').map(({ clientId, seq }) => ({
          clientId,
          seq,
          servers: splitServers(examineeServers),
        })),
        supervisorServers: splitServers(supervisorServers),
        examinees: first.examinees,
        data: first.data,
      };
    });
  }

  /**
   * Applies a change once: the exam's stream and stored status, then each examinee's seq and
   * history in parts of EXAMINEES_PER_PART, then the idempotency record, which it issues but
   * does not wait for (see `recorded`): Redis applies it before anything sent after it on this
   * connection (the next batch's scripts, a replica WAIT) while the change is routed. A retry
   * resumes where a failure left off without assigning any seq twice.
   */
  async applyStatusChange(c: {
    requestId: string;
    examId: string;
    data: StatusChangeData;
    audience: Audience;
    trace: RequestTrace;
  }): Promise<ChangeOutcome> {
    const k = this.keys;
    const { requestId, examId, data, audience } = c;
    const request = k.request(data.supervisorId, requestId);
    const supervisors = [...new Set([...audience.supervisors, data.supervisorId])];
    const common = this.changeArgs(request);
    const [prefix, suffix] = statusChangeFrameParts(requestId, data);
    const exam = {
      seqKey: k.examSeq(examId),
      historyKey: k.examHistory(examId),
      prefix,
      suffix,
      statusKey:
        data.targetExamineeId === undefined
          ? k.examStatus(examId)
          : k.examineeStatus(data.targetExamineeId),
      status: data.status,
      supervisorId: data.supervisorId,
      timestamp: data.timestamp,
      requestId,
      examId,
    };
    const examinees = audience.examinees;
    const outcome: ChangeOutcome = {
      duplicate: false,
      epoch: '',
      examSeq: 0,
      deliveries: [],
      supervisorServers: [],
      examinees,
      data,
    };
    const keys = {
      seq: keyAffixes(k.clientSeq),
      history: keyAffixes(k.clientHistory),
      conns: keyAffixes(k.clientConnections),
    };
    const wide = { key: k.examWideFrames(examId), ref: WideFrameRef.prefix(examId) };
    const frame = WideFrameTemplate.encode(examineeFrameTemplate(requestId, data));
    const parts = Math.max(1, Math.ceil(examinees.length / EXAMINEES_PER_PART));
    // Every part in one round trip, in order: each applies only once the one before it has.
    const replies = await Promise.allSettled(
      Array.from({ length: parts }, (_, part) =>
        this.scripts.applyChangePart({
          part,
          exam: part === 0 ? exam : undefined,
          examinees: examinees.slice(part * EXAMINEES_PER_PART, (part + 1) * EXAMINEES_PER_PART),
          keys,
          wide: part === 0 ? { key: wide.key, ref: wide.ref, frame } : wide,
          supervisors:
            part === parts - 1
              ? {
                  indexKey: k.examSupervisorConnections(examId),
                  actorConnsKey: k.clientConnections(data.supervisorId),
                  actorId: data.supervisorId,
                  ids: supervisors,
                }
              : undefined,
          ...common,
        }),
      ),
    );
    let supervisorRoutes: string[] = [];
    for (const [part, settled] of replies.entries()) {
      // A part that failed fails the change; the parts after it found a gap and did nothing.
      if (settled.status === 'rejected') throw settled.reason;
      const reply = settled.value;
      if (reply[0] === 'DUP') return this.replay(request, examId, data.supervisorId);
      if (reply[0] === 'GAP') throw new Error(`${request}: part ${part - 1} not applied`);
      const [epoch, examSeq, seqs, servers, supervisorServers, routes] = reply.map((v) =>
        String(v ?? ''),
      );
      const serverLists = servers ? servers.split(',') : [];
      outcome.epoch = epoch ?? '';
      outcome.examSeq = Number(examSeq);
      // Fields named, not spread: a spread per examinee made this loop 3x slower (1.6 ms for
      // 2,000 examinees against 0.5).
      SeqList.decode(seqs ?? '').forEach(({ clientId, seq }, i) =>
        outcome.deliveries.push({ clientId, seq, servers: splitServers(serverLists[i]) }),
      );
      if (part === parts - 1) {
        outcome.supervisorServers = splitServers(supervisorServers);
        supervisorRoutes = routes ? routes.split(',') : [];
      }
    }
    const ack: StoredAck = { examinees, data };
    // One command per field, `ack` last (its presence says "stored"), not one MULTI: at
    // 20,000 examinees each of `ack`, `seqs` and `routes` is about 200 KB, and written together
    // they held Redis 5.4 ms in one command (2026-12-08); apart, other clients are served
    // between them. A write that fails is retried whole (`recorded`); each is idempotent.
    const write = async () => {
      unwrap(
        await this.redis
          .pipeline()
          .hset(request, 'trace', JSON.stringify(c.trace))
          // For the admin's trace: every recipient's seq and the server it was routed to.
          .hset(
            request,
            'seqs',
            SeqList.encode([
              ...outcome.deliveries,
              ...supervisors.map((clientId) => ({ clientId, seq: outcome.examSeq })),
            ]),
          )
          .hset(
            request,
            'routes',
            [
              ...outcome.deliveries.map((d) => `${d.clientId}:${d.servers[0] ?? ''}`),
              ...supervisorRoutes,
            ].join(','),
          )
          .hset(request, 'ack', JSON.stringify(ack))
          .expire(request, this.options.retentionSeconds)
          .exec(),
      );
    };
    outcome.recorded = startedRetryable(write);
    return outcome;
  }

  /**
   * A request applied before: what it gave, with the routes as they are now (the supervisors'
   * as the change scripts read them: the exam's index and the acting supervisor's sockets).
   */
  private async replay(request: string, examId: string, actorId: string): Promise<ChangeOutcome> {
    const stored = await this.redis.hgetall(request);
    // Written by this same store: a record that does not parse is a bug, not input.
    const ack = StoredAck.parse(JSON.parse(stored.ack ?? 'null'));
    const seqs = Object.entries(stored)
      .filter(([field]) => field.startsWith('part:'))
      .sort(([a], [b]) => Number(a.slice(5)) - Number(b.slice(5)))
      .flatMap(([, value]) => SeqList.decode(value));
    const [examineeServers, supervisorServers, actorServers] = await Promise.all([
      this.serversOf(seqs.map((s) => s.clientId)),
      this.supervisorServers(examId),
      this.serversOf([actorId]),
    ]);
    return {
      duplicate: true,
      epoch: stored.epoch ?? '',
      examSeq: Number(stored.examSeq ?? 0),
      deliveries: seqs.map(({ clientId, seq }, i) => ({
        clientId,
        seq,
        servers: examineeServers[i] ?? [],
      })),
      supervisorServers: [...new Set([...supervisorServers, ...actorServers.flat()])],
      examinees: ack.examinees,
      data: ack.data,
    };
  }

  /** The servers each client holds sockets on, in order. */
  async serversOf(clientIds: string[]): Promise<string[][]> {
    if (clientIds.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of clientIds) pipeline.hkeys(this.keys.clientConnections(id));
    return unwrap(await pipeline.exec()).map((v) => (Array.isArray(v) ? v.map(String) : []));
  }

  /** Servers holding sockets of an exam's supervisors: one read of the exam's index. */
  async supervisorServers(examId: string): Promise<string[]> {
    const fields = await this.redis.hkeys(this.keys.examSupervisorConnections(examId));
    return [...new Set(fields.map(SupervisorConnectionField.serverOf))];
  }

  /**
   * Registers a client's connection on `serverId`. With `restoreTakenAt` (reconciliation) it
   * returns undefined when that connection has closed or been replaced since.
   */
  async connect(
    c: ConnectionInfo & { serverId: string; at: string; heardAt: string },
    restoreTakenAt?: string,
  ): Promise<Connected | undefined> {
    const k = this.keys;
    const supervisor = c.role === 'supervisor';
    const reply = await this.scripts.connect({
      routeKey: k.clientRoute(c.clientId),
      connsKey: k.clientConnections(c.clientId),
      serverKey: k.serverConnections(c.serverId),
      seqKey: supervisor ? k.examSeq(c.examId) : k.clientSeq(c.clientId),
      serversKey: k.servers(),
      epochKey: k.epoch(),
      newEpoch: newEpochId(),
      durable: this.options.durableFailover ?? false,
      serverId: c.serverId,
      connId: c.connId,
      clientId: c.clientId,
      role: c.role,
      examId: c.examId,
      at: c.at,
      heardAt: c.heardAt,
      retention: this.options.retentionSeconds,
      restoreTakenAt,
      // Spread last: a property after a spread is slow (eslint.config.js).
      ...this.membership(c),
    });
    if (reply[0] !== 'OK') return undefined;
    return { seq: Number(reply[1]), epoch: String(reply[2]), wentOnline: Number(reply[3]) === 1 };
  }

  /**
   * Writes again, with a fresh expiry, the keys of connections `serverId` still holds (see
   * KEEP_ALIVE), in calls of KEPT_ALIVE_PER_CALL; returns how many were still registered.
   */
  async keepAlive(serverId: string, connections: ConnectionInfo[]): Promise<number> {
    const k = this.keys;
    const calls: Promise<number>[] = [];
    for (let i = 0; i < connections.length; i += KEPT_ALIVE_PER_CALL) {
      calls.push(
        this.scripts.keepAlive({
          serverKey: k.serverConnections(serverId),
          serverId,
          retention: this.options.retentionSeconds,
          connections: connections.slice(i, i + KEPT_ALIVE_PER_CALL).map((c) => ({
            clientId: c.clientId,
            connId: c.connId,
            connsKey: k.clientConnections(c.clientId),
            ...this.membership(c),
          })),
        }),
      );
    }
    const kept = await Promise.all(calls);
    return kept.reduce((a, b) => a + b, 0);
  }

  /**
   * The keys that hold a connection's place in its exam: the exam's members of its role, and a
   * supervisor's exam supervisor connections.
   */
  private membership(c: Pick<ConnectionInfo, 'role' | 'examId'>): {
    membersKey: string;
    supervisorIndexKey: string | undefined;
  } {
    const k = this.keys;
    return c.role === 'supervisor'
      ? {
          membersKey: k.examSupervisors(c.examId),
          supervisorIndexKey: k.examSupervisorConnections(c.examId),
        }
      : { membersKey: k.examExaminees(c.examId), supervisorIndexKey: undefined };
  }

  /** Removes one connection; returns who went offline when it was the client's last. */
  async disconnect(c: {
    clientId: string;
    connId: string;
    serverId: string;
    at: string;
  }): Promise<Offline | undefined> {
    const k = this.keys;
    const reply = await this.scripts.disconnect({
      routeKey: k.clientRoute(c.clientId),
      connsKey: k.clientConnections(c.clientId),
      serverKey: k.serverConnections(c.serverId),
      supervisorIndex: keyAffixes(k.examSupervisorConnections),
      ...c,
    });
    if (reply[0] !== 'OFFLINE') return undefined;
    const role = String(reply[1] ?? '');
    return {
      clientId: c.clientId,
      role: role === 'examinee' || role === 'supervisor' ? role : undefined,
      examId: String(reply[2] ?? '') || undefined,
    };
  }

  markDownIfSilent(serverId: string, cutoff: string): Promise<number> {
    return this.scripts.markDownIfSilent({
      serverKey: this.keys.serverConnections(serverId),
      cutoff,
    });
  }
}

/**
 * Starts `write` now; the function returned resolves when it is done, and after a failure
 * starts it again (a rejection nobody awaited is not left unhandled).
 */
function startedRetryable(write: () => Promise<void>): () => Promise<void> {
  let current: Promise<void> | undefined;
  const attempt = () => {
    const started = write();
    started.catch(() => {
      if (current === started) current = undefined;
    });
    return started;
  };
  current = attempt();
  return () => (current ??= attempt());
}

function splitServers(text: string | undefined): string[] {
  return text ? text.split('|') : [];
}
