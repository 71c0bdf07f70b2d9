/**
 * Every Redis key exam-relay uses, built here and nowhere else. With namespace `X` each key
 * starts with `X:`; with none they are exactly SPEC §6's seed keys. The layout is documented
 * in the README ("Redis layout"); the shape of each record is owned by `records.ts`.
 */
export interface RedisKeys {
  /** Hash `serverId`, `lastConnection` (the newest connection), `role`, `examId`. */
  clientRoute(clientId: string): string;
  /** Hash serverId -> connId: every server this client holds sockets on. */
  clientConnections(clientId: string): string;
  /**
   * Hash `status`, `lastSync`, one field `client:{clientId}` per connected client and one
   * `gone:{clientId}` per recent disconnect (see `records.ts`).
   */
  serverConnections(serverId: string): string;
  /** Hash `status`, `supervisorId`, `timestamp`, `examId`, `requestId`, `rev`. */
  examineeStatus(examineeId: string): string;
  /** Hash of the exam's last exam-wide change: `status`, `supervisorId`, `timestamp`, … */
  examStatus(examId: string): string;
  /** Counter: the last `seq` given to a frame for this examinee. */
  clientSeq(clientId: string): string;
  /**
   * Sorted set of this examinee's recent `status_change` frames, scored by `seq`: a targeted
   * change's frame itself, an exam-wide one's reference into `examWideFrames` (`records.ts`).
   */
  clientHistory(clientId: string): string;
  /** Counter: the exam's stream; every change of the exam, the seq its supervisors see. */
  examSeq(examId: string): string;
  /** Sorted set of the exam's recent changes as supervisors see them, scored by `seq`. */
  examHistory(examId: string): string;
  /**
   * Sorted set of the exam's recent exam-wide changes, scored by the exam's `seq`, each as
   * the template of its examinees' frames: what the examinees' history entries refer to.
   */
  examWideFrames(examId: string): string;
  /** Set of examinee ids that have joined the exam (within the retention window). */
  examExaminees(examId: string): string;
  /** Set of supervisor ids that have joined the exam. */
  examSupervisors(examId: string): string;
  /**
   * Hash `{serverId}|{supervisorId}` -> connId: every socket server holding a socket of one of
   * the exam's supervisors, kept with `clientConnections` by the same scripts, so routing to
   * the exam's supervisors is one read, whatever their number.
   */
  examSupervisorConnections(examId: string): string;
  /** Hash: outcome of a processed request, for idempotency. */
  request(supervisorId: string, requestId: string): string;
  /** Set of the ids of every socket server that has reported in. */
  servers(): string;
  /** Hash of state-manager id -> last heartbeat ISO time. */
  stateManagers(): string;
  /** Hash `id`, `replid`: the epoch that names the numbering of every seq. */
  epoch(): string;
  /** Counter a state manager bumps right before `WAIT`, so the wait covers every earlier write. */
  waitFence(): string;
  /** The pattern matching every key of this namespace (for cleanup and admin scans). */
  all(): string;
}

export function createRedisKeys(namespace: string): RedisKeys {
  const p = namespace ? `${namespace}:` : '';
  return {
    clientRoute: (id) => `${p}client:${id}:route`,
    clientConnections: (id) => `${p}client:${id}:connections`,
    serverConnections: (id) => `${p}server:${id}:connections`,
    examineeStatus: (id) => `${p}examinee:${id}:status`,
    examStatus: (id) => `${p}exam:${id}:status`,
    clientSeq: (id) => `${p}client:${id}:seq`,
    clientHistory: (id) => `${p}client:${id}:history`,
    examSeq: (id) => `${p}exam:${id}:seq`,
    examHistory: (id) => `${p}exam:${id}:history`,
    examWideFrames: (id) => `${p}exam:${id}:wide-frames`,
    examExaminees: (examId) => `${p}exam:${examId}:examinees`,
    examSupervisors: (examId) => `${p}exam:${examId}:supervisors`,
    examSupervisorConnections: (examId) => `${p}exam:${examId}:supervisor-connections`,
    request: (supervisorId, requestId) => `${p}request:${supervisorId}:${requestId}`,
    servers: () => `${p}servers`,
    stateManagers: () => `${p}state-managers`,
    epoch: () => `${p}epoch`,
    waitFence: () => `${p}wait-fence`,
    all: () => (p ? `${p}*` : '*'),
  };
}

/** Field of `server:{id}:connections` that records one connected client. */
export const connectionField = (clientId: string): string => `client:${clientId}`;

/** What a per-id key has around the id, for scripts that build it from ids they read. */
export function keyAffixes(key: (id: string) => string): [prefix: string, suffix: string] {
  const marker = '\u0000';
  const [prefix = '', suffix = ''] = key(marker).split(marker);
  return [prefix, suffix];
}
