import { StatusChangeRequest } from '../protocol/client-frame.js';
import { ExamineeStatus, RequestId } from '../protocol/common.js';
import type { Parsed } from '../protocol/parse.js';

/** Whom a status change is for: one examinee, or every examinee of the exam. */
export type StatusTarget = { targetExamineeId: string } | { examId: string };

/**
 * The `status_change` frame for a request, checked against the protocol's schema before it is
 * sent, so a bad argument fails at once with the argument named instead of after a round trip.
 */
export function statusChangeFrame(
  target: StatusTarget,
  status: ExamineeStatus,
  id: string,
): Parsed<StatusChangeRequest> {
  const badId = RequestId.safeParse(id);
  if (!badId.success) return { ok: false, error: `id: ${badId.error.issues[0]?.message}` };
  const badStatus = ExamineeStatus.safeParse(status);
  if (!badStatus.success) {
    return { ok: false, error: `status: must be one of ${ExamineeStatus.options.join(', ')}` };
  }
  const frame = StatusChangeRequest.safeParse({
    type: 'status_change',
    id,
    data: { ...target, status },
  });
  if (!frame.success) {
    // The union's own message ("Invalid input") does not say what is wrong.
    return {
      ok: false,
      error:
        'target: must be { targetExamineeId } or { examId }, an id of 1-64 of A-Z a-z 0-9 _ . -',
    };
  }
  return { ok: true, value: frame.data };
}
