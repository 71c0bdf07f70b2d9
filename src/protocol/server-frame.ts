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

/** A status as stored: what it is, who set it, when. */
export const ExamStatus = z.strictObject({
  status: ExamineeStatus,
  supervisorId: ClientId,
  timestamp: Timestamp,
});

/** The numbering of seqs: changes when Redis lost the counters. */
export const Epoch = z.string().regex(/^[A-Za-z0-9]{1,32}$/);

export const Welcome = z.strictObject({
  type: z.literal('welcome'),
  data: z.strictObject({
    clientId: ClientId,
    role: Role,
    examId: ExamId,
    serverId: ServerId,
    /** The seq this connection resumes after; frames with higher seqs follow. */
    lastSeq: z.number().int().min(0),
    /** Names the numbering of `seq`; changes when Redis lost the counters. */
    epoch: Epoch,
    /**
     * An examinee's current status (its own last change or the exam's last exam-wide change,
     * whichever came later); a supervisor's: the exam's last exam-wide status. Null if none.
     */
    status: ExamStatus.nullable(),
  }),
});

/** Most examinees a snapshot lists; past it `truncated` is true. */
export const SNAPSHOT_MAX_EXAMINEES = 10_000;

/**
 * The exam as it stands: after `welcome` for a supervisor, after `resync` for anyone. An
 * examinee's snapshot lists only itself.
 */
export const Snapshot = z.strictObject({
  type: z.literal('snapshot'),
  data: z.strictObject({
    examId: ExamId,
    status: ExamStatus.nullable(),
    examinees: z
      .array(
        z.strictObject({ clientId: ClientId, online: z.boolean(), status: ExamStatus.nullable() }),
      )
      .max(SNAPSHOT_MAX_EXAMINEES),
    truncated: z.boolean(),
  }),
});

/** What a status change says. Exactly one of targetExamineeId / examId names the target. */
export const StatusChangeData = z.strictObject({
  supervisorId: ClientId,
  targetExamineeId: ClientId.optional(),
  examId: ExamId.optional(),
  status: ExamineeStatus,
  timestamp: Timestamp,
});

export const StatusChangeFrame = z.strictObject({
  type: z.literal('status_change'),
  seq: Seq,
  id: RequestId,
  data: StatusChangeData,
});

export const Ack = z.strictObject({
  type: z.literal('ack'),
  id: RequestId,
  data: z.strictObject({
    status: ExamineeStatus,
    /** Every examinee the change applied to. */
    examinees: z.array(ClientId),
    timestamp: Timestamp,
    /** Examinees that were connected and were sent the change live. */
    delivered: z.array(ClientId).optional(),
    /** Examinees that will get the change when they connect or resume. */
    pending: z.array(ClientId).optional(),
  }),
});

export const Presence = z.strictObject({
  type: z.literal('presence'),
  data: z.strictObject({ clientId: ClientId, online: z.boolean(), serverId: ServerId }),
});

/** The code of a refusal, one of the table in `codes.ts`: in an `error` frame and on the bus. */
export const ErrorFrameCode = z.enum(Object.keys(ErrorCode) as [ErrorCode, ...ErrorCode[]]);

export const ErrorFrame = z.strictObject({
  type: z.literal('error'),
  id: RequestId.optional(),
  code: ErrorFrameCode,
  message: z.string(),
});

/** The history cannot cover the gap after `lastSeq`: fetch fresh state, then continue. */
export const Resync = z.strictObject({
  type: z.literal('resync'),
  data: z.strictObject({
    fromSeq: z.number().int().min(0),
    toSeq: z.number().int().min(0),
    /** Set when the numbering changed: seqs continue after `toSeq` in this epoch. */
    epoch: Epoch.optional(),
  }),
});

/** The server is going away: reconnect to another server (the socket then closes with 1001). */
export const Reconnect = z.strictObject({
  type: z.literal('reconnect'),
  data: z.strictObject({ reason: z.string() }),
});

/** Every frame a server may send. */
export const ServerFrame = z.discriminatedUnion('type', [
  Welcome,
  Snapshot,
  StatusChangeFrame,
  Ack,
  Presence,
  ErrorFrame,
  Resync,
  Reconnect,
]);

export type Welcome = z.infer<typeof Welcome>;
export type ExamStatus = z.infer<typeof ExamStatus>;
export type Snapshot = z.infer<typeof Snapshot>;
export type StatusChangeData = z.infer<typeof StatusChangeData>;
export type StatusChangeFrame = z.infer<typeof StatusChangeFrame>;
export type Ack = z.infer<typeof Ack>;
export type Presence = z.infer<typeof Presence>;
export type ErrorFrame = z.infer<typeof ErrorFrame>;
export type ServerFrame = z.infer<typeof ServerFrame>;
