import { z } from 'zod';
import { ExamineeStatus } from '../../protocol/common.js';
import type { ExamStatus } from '../../protocol/server-frame.js';
import type { ExamineeFrameTemplate } from '../../protocol/frames.js';

/**
 * The shape of each Redis record exam-relay keeps, with its encoding and decoding: the one
 * place every role (state manager, server, admin) reads and writes them through. Lua scripts
 * that write a record use the field names and formats spelled here.
 */

const CLIENT = 'client:';
const GONE = 'gone:';

/**
 * `server:{id}:connections` fields: `client:{clientId}` = `{connId}|{since}` while the client
 * holds sockets there; `gone:{clientId}` = `{connId}|{at}` after its last socket closed, so a
 * heartbeat taken before the disconnect cannot bring that connection back.
 */
export const ServerConnectionRecord = {
  field: (clientId: string) => `${CLIENT}${clientId}`,
  goneField: (clientId: string) => `${GONE}${clientId}`,
  encode: (connId: string, at: string) => `${connId}|${at}`,
  /** Every field of the hash, sorted into live connections and recent departures. */
  decode(hash: Record<string, string>): {
    status: 'ACTIVE' | 'DOWN';
    lastSync: string | undefined;
    connections: Map<string, { connId: string; since: string }>;
    gone: Map<string, { connId: string; at: string }>;
  } {
    const connections = new Map<string, { connId: string; since: string }>();
    const gone = new Map<string, { connId: string; at: string }>();
    for (const [field, value] of Object.entries(hash)) {
      const [connId = '', at = ''] = value.split('|');
      if (field.startsWith(CLIENT)) {
        connections.set(field.slice(CLIENT.length), { connId, since: at });
      } else if (field.startsWith(GONE)) gone.set(field.slice(GONE.length), { connId, at });
    }
    return {
      status: hash.status === 'DOWN' ? 'DOWN' : 'ACTIVE',
      lastSync: hash.lastSync,
      connections,
      gone,
    };
  },
  /** Client ids among the fields of the hash (HKEYS). */
  clientsOf: (fields: string[]) =>
    fields.filter((f) => f.startsWith(CLIENT)).map((f) => f.slice(CLIENT.length)),
};

/**
 * `examinee:{id}:status` and `exam:{id}:status`: a status with who set it, when, and `rev`,
 * the exam's stream seq of the change, which says which of the two came later.
 */
export const StatusRecord = {
  fields: ['status', 'supervisorId', 'timestamp', 'rev'] as const,
  schema: z.object({
    status: ExamineeStatus,
    supervisorId: z.string(),
    timestamp: z.string(),
    rev: z.coerce.number().int().min(0).default(0),
  }),
  /** From HMGET of `fields` (nulls when the hash does not exist). */
  decode(values: (string | null)[]): (ExamStatus & { rev: number }) | null {
    const [status, supervisorId, timestamp, rev] = values;
    const parsed = StatusRecord.schema.safeParse({ status, supervisorId, timestamp, rev });
    return parsed.success ? parsed.data : null;
  },
  /** An examinee's current status: its own or the exam-wide one, whichever came later. */
  current(
    own: (ExamStatus & { rev: number }) | null,
    exam: (ExamStatus & { rev: number }) | null,
  ): ExamStatus | null {
    const later = !own ? exam : !exam ? own : own.rev >= exam.rev ? own : exam;
    return later
      ? { status: later.status, supervisorId: later.supervisorId, timestamp: later.timestamp }
      : null;
  },
};

/** `clientId:seq,clientId:seq,…`: the seqs a request gave its examinees. */
export const SeqList = {
  encode: (pairs: { clientId: string; seq: number }[]) =>
    pairs.map((p) => `${p.clientId}:${p.seq}`).join(','),
  decode(text: string): { clientId: string; seq: number }[] {
    if (!text) return [];
    return text.split(',').map((pair) => {
      const at = pair.lastIndexOf(':');
      return { clientId: pair.slice(0, at), seq: Number(pair.slice(at + 1)) };
    });
  },
};

/**
 * A field of `exam:{examId}:supervisor-connections`: `{serverId}|{supervisorId}` (neither id
 * can hold `|`), value the connection id. Written by the state manager's connect and
 * disconnect scripts beside the supervisor's own connections.
 */
export const SupervisorConnectionField = {
  encode: (serverId: string, supervisorId: string) => `${serverId}|${supervisorId}`,
  serverOf: (field: string) => field.slice(0, field.indexOf('|')),
};

/**
 * An examinee's history entry for an exam-wide change is `w:{examId}:{examSeq}`, not the frame:
 * the frame differs between examinees only in seq and id, so it is stored once per change, in
 * `exam:{examId}:wide-frames` (score examSeq, member the `ExamineeFrameTemplate` as JSON), and
 * filled in for each examinee on replay. A 20-byte entry instead of a 250-byte frame cuts the
 * Redis time of an exam-wide change by about a quarter, and an examinee's history memory 3-20
 * times. Targeted changes' entries are the frame itself (JSON, starting with `{`).
 */
export const WideFrameRef = {
  /** The entry is this and the examSeq (the scripts append it). */
  prefix: (examId: string) => `w:${examId}:`,
  /** The exam and examSeq an entry refers to; undefined for a frame stored whole. */
  decode(entry: string): { examId: string; examSeq: number } | undefined {
    if (!entry.startsWith('w:')) return undefined;
    const at = entry.lastIndexOf(':');
    const examSeq = Number(entry.slice(at + 1));
    return at > 2 && Number.isInteger(examSeq)
      ? { examId: entry.slice(2, at), examSeq }
      : undefined;
  },
};

/** A member of `exam:{examId}:wide-frames`: an exam-wide change's examinee frame around seq and id. */
export const WideFrameTemplate = {
  schema: z.object({ head: z.string(), mid: z.string(), tail: z.string() }),
  encode: (t: ExamineeFrameTemplate) => JSON.stringify({ head: t.head, mid: t.mid, tail: t.tail }),
  decode(text: string): ExamineeFrameTemplate | undefined {
    try {
      const parsed = WideFrameTemplate.schema.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  },
};

/** The stored outcome of a request (`request:{supervisorId}:{requestId}` field `ack`). */
export const StoredAck = z.object({
  examinees: z.array(z.string()),
  data: z.object({
    supervisorId: z.string(),
    targetExamineeId: z.string().optional(),
    examId: z.string().optional(),
    status: ExamineeStatus,
    timestamp: z.string(),
  }),
});
export type StoredAck = z.infer<typeof StoredAck>;

/** Who handled a request, kept with its idempotency record for the admin's trace view. */
export const RequestTrace = z.object({
  sourceServer: z.string(),
  stateManager: z.string(),
  processedAt: z.string(),
});
export type RequestTrace = z.infer<typeof RequestTrace>;
