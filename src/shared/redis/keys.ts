/**
 * Every Redis key exam-relay uses, built here and nowhere else. With namespace `X` each key
 * starts with `X:`; with none they are exactly SPEC §6's seed keys. The layout is documented
 * in the README ("Redis layout").
 */
export interface RedisKeys {
  /** Hash `serverId`, `lastConnection`, `connId`: where a client is connected. */
  clientRoute(clientId: string): string;
  /** Hash `status`, `lastSync`, plus one field `client:{clientId}` per connected client. */
  serverConnections(serverId: string): string;
  /** Hash `status`, `supervisorId`, `timestamp`, `examId`, `requestId`. */
  examineeStatus(examineeId: string): string;
  /** Counter: the last `seq` given to a frame for this client. */
  clientSeq(clientId: string): string;
  /** Sorted set of this client's recent `status_change` frames, scored by `seq`. */
  clientHistory(clientId: string): string;
  /** Set of examinee ids that have joined the exam. */
  examExaminees(examId: string): string;
  /** Set of supervisor ids that have joined the exam. */
  examSupervisors(examId: string): string;
  /** String: outcome of a processed request, for idempotency. */
  request(supervisorId: string, requestId: string): string;
  /** Set of the ids of every socket server that has reported in. */
  servers(): string;
  /** Hash of state-manager id -> last heartbeat ISO time. */
  stateManagers(): string;
  /** The pattern matching every key of this namespace (for cleanup and admin scans). */
  all(): string;
}

export function createRedisKeys(namespace: string): RedisKeys {
  const p = namespace ? `${namespace}:` : '';
  return {
    clientRoute: (id) => `${p}client:${id}:route`,
    serverConnections: (id) => `${p}server:${id}:connections`,
    examineeStatus: (id) => `${p}examinee:${id}:status`,
    clientSeq: (id) => `${p}client:${id}:seq`,
    clientHistory: (id) => `${p}client:${id}:history`,
    examExaminees: (examId) => `${p}exam:${examId}:examinees`,
    examSupervisors: (examId) => `${p}exam:${examId}:supervisors`,
    request: (supervisorId, requestId) => `${p}request:${supervisorId}:${requestId}`,
    servers: () => `${p}servers`,
    stateManagers: () => `${p}state-managers`,
    all: () => (p ? `${p}*` : '*'),
  };
}

/** Field of `server:{id}:connections` that records one connected client. */
export const connectionField = (clientId: string): string => `client:${clientId}`;
