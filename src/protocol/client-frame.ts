import { z } from 'zod';
import { ClientId, ExamId, ExamineeStatus, RequestId } from './common.js';

/** `hello`: must be the first frame. `resume.lastSeq` replays what came after it. */
export const Hello = z.strictObject({
  type: z.literal('hello'),
  token: z.string().min(1).max(4096),
  resume: z
    .strictObject({
      lastSeq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
      /** The epoch `lastSeq` counts in (from `welcome`); another epoch gets resync + snapshot. */
      epoch: z.string().max(32).optional(),
    })
    .optional(),
});

/** `status_change` for one examinee, or for the whole exam with `examId`. */
export const StatusChangeRequest = z.strictObject({
  type: z.literal('status_change'),
  id: RequestId,
  data: z.union([
    z.strictObject({ targetExamineeId: ClientId, status: ExamineeStatus }),
    z.strictObject({ examId: ExamId, status: ExamineeStatus }),
  ]),
});

/** Every frame a client may send. */
export const ClientFrame = z.discriminatedUnion('type', [Hello, StatusChangeRequest]);

export type Hello = z.infer<typeof Hello>;
export type StatusChangeRequest = z.infer<typeof StatusChangeRequest>;
export type ClientFrame = z.infer<typeof ClientFrame>;
