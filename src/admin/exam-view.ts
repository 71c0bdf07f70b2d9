import { ExamId } from '../protocol/index.js';
import { NotFoundError, requireValid } from './errors.js';
import { unwrap } from '../shared/redis/pipeline.js';
import { readSet } from '../shared/redis/scan.js';
import { keyTemplate, scanKeys, type RedisSource } from './redis-util.js';

export interface ExamineeRow {
  clientId: string;
  /** Has a route (connected to a server). */
  online: boolean;
  serverId: string | null;
  status: string | null;
  /** When the status was set, and by whom. */
  statusAt: string | null;
  supervisorId: string | null;
  requestId: string | null;
  lastSeq: number;
}

export interface SupervisorRow {
  clientId: string;
  online: boolean;
  serverId: string | null;
}

export interface ExamView {
  examId: string;
  examinees: ExamineeRow[];
  supervisors: SupervisorRow[];
  /** Online examinees, and examinees per status (`NONE` for no status yet). */
  summary: { examinees: number; online: number; byStatus: Record<string, number> };
  /** More members exist than `MAX_MEMBERS` listed. */
  truncated: boolean;
}

export const MAX_MEMBERS = 5000;

/** An exam's examinees with status and presence, and its supervisors. */
export async function readExam(deps: RedisSource, examId: string): Promise<ExamView> {
  requireValid(ExamId, examId, 'an exam id is 1-64 of A-Z a-z 0-9 _ . -');
  const { redis, keys } = deps;
  const [examineeIds, supervisorIds] = await Promise.all([
    readSet(redis, keys.examExaminees(examId)),
    readSet(redis, keys.examSupervisors(examId)),
  ]);
  if (examineeIds.length === 0 && supervisorIds.length === 0) {
    throw new NotFoundError(`no exam ${examId} is known in Redis (nobody has joined it)`);
  }
  const examinees = examineeIds.sort().slice(0, MAX_MEMBERS);
  const supervisors = supervisorIds.sort().slice(0, MAX_MEMBERS);

  const pipeline = redis.pipeline();
  for (const id of examinees) {
    pipeline.hget(keys.clientRoute(id), 'serverId');
    pipeline.hmget(keys.examineeStatus(id), 'status', 'timestamp', 'supervisorId', 'requestId');
    pipeline.get(keys.clientSeq(id));
  }
  for (const id of supervisors) pipeline.hget(keys.clientRoute(id), 'serverId');
  const results = unwrap(await pipeline.exec());

  const byStatus: Record<string, number> = {};
  let online = 0;
  const examineeRows = examinees.map((clientId, i): ExamineeRow => {
    const serverId = (results[i * 3] as string | null) || null;
    const [status, statusAt, supervisorId, requestId] = results[i * 3 + 1] as (string | null)[];
    const key = status ?? 'NONE';
    byStatus[key] = (byStatus[key] ?? 0) + 1;
    if (serverId) online++;
    return {
      clientId,
      online: serverId !== null,
      serverId,
      status: status ?? null,
      statusAt: statusAt ?? null,
      supervisorId: supervisorId ?? null,
      requestId: requestId ?? null,
      lastSeq: Number((results[i * 3 + 2] as string | null) ?? 0),
    };
  });
  const base = examinees.length * 3;
  const supervisorRows = supervisors.map((clientId, i): SupervisorRow => {
    const serverId = (results[base + i] as string | null) || null;
    return { clientId, online: serverId !== null, serverId };
  });
  return {
    examId,
    examinees: examineeRows,
    supervisors: supervisorRows,
    summary: { examinees: examineeIds.length, online, byStatus },
    truncated: examineeIds.length > MAX_MEMBERS || supervisorIds.length > MAX_MEMBERS,
  };
}

/** Ids of exams someone has joined, by SCAN (bounded: see `scanKeys`). */
export async function listExams(
  deps: RedisSource,
): Promise<{ exams: string[]; complete: boolean }> {
  const { redis, keys } = deps;
  const patterns = [keys.examExaminees('*'), keys.examSupervisors('*')];
  const ofExaminees = keyTemplate(keys.examExaminees);
  const ofSupervisors = keyTemplate(keys.examSupervisors);
  const found = await Promise.all(patterns.map((p) => scanKeys(redis, p)));
  const exams = new Set<string>();
  for (const key of found.flatMap((f) => f.keys)) {
    const id = ofExaminees(key) ?? ofSupervisors(key);
    if (id !== undefined && ExamId.safeParse(id).success) exams.add(id);
  }
  return { exams: [...exams].sort(), complete: found.every((f) => f.complete) };
}
