import type { Role } from './common.js';
import type { StatusChangeData } from './server-frame.js';

/**
 * The `data` of the `status_change` frame one recipient gets. For an exam-wide change each
 * examinee also sees its own id as `targetExamineeId`; supervisors see the exam-wide form.
 * Used by the state manager (replay history) and the socket server (live path) alike, so a
 * replayed frame is the same as the live one.
 */
export function statusChangeDataFor(
  payload: StatusChangeData,
  recipientId: string,
  role: Role,
): StatusChangeData {
  if (payload.targetExamineeId !== undefined || role !== 'examinee') return payload;
  // The id stays the last field (`examineeFrameTemplate` relies on it).
  return Object.assign({}, payload, { targetExamineeId: recipientId });
}

/**
 * The `status_change` frame as JSON text around its seq: `prefix + seq + suffix`. The state
 * manager stores frames in Redis this way, with the seq filled in by the script that assigns it.
 */
export function statusChangeFrameParts(id: string, data: StatusChangeData): [string, string] {
  return [
    '{"type":"status_change","seq":',
    `,"id":${JSON.stringify(id)},"data":${JSON.stringify(data)}}`,
  ];
}

/** See `examineeFrameTemplate`. */
export interface ExamineeFrameTemplate {
  head: string;
  mid: string;
  tail: string;
}

/**
 * An exam-wide change's frame for any examinee, around its seq and the examinee's id:
 * `head + seq + mid + examineeId + tail` is the frame `statusChangeDataFor` gives that
 * examinee. The state manager stores these three strings once per change (each examinee's
 * history refers to them, `WideFrameRef`), and servers fill them in for each examinee, live and
 * on replay.
 */
export function examineeFrameTemplate(id: string, data: StatusChangeData): ExamineeFrameTemplate {
  const marker = '~';
  const [head, suffix] = statusChangeFrameParts(id, statusChangeDataFor(data, marker, 'examinee'));
  // The examinee's id is the data's last field (ids need no escaping in JSON).
  const end = `"${marker}"}}`;
  if (!suffix.endsWith(end)) throw new Error('exam-wide frame has no examinee id last');
  return { head, mid: suffix.slice(0, -end.length) + '"', tail: '"}}' };
}

/** One examinee's frame from `examineeFrameTemplate`: what its socket is sent, live or replayed. */
export function fillExamineeFrame(
  t: ExamineeFrameTemplate,
  seq: number,
  examineeId: string,
): string {
  return `${t.head}${seq}${t.mid}${examineeId}${t.tail}`;
}
