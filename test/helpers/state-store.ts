import type { Redis } from 'ioredis';
import type { ConnectionInfo } from '../../src/protocol/index.js';
import type { RedisKeys } from '../../src/shared/redis/keys.js';
import { StateStore } from '../../src/state-manager/state-store.js';

/** A StateStore with the small retention and history caps the integration tests use. */
export function testStateStore(redis: Redis, keys: RedisKeys): StateStore {
  return new StateStore(redis, keys, { retentionSeconds: 60, historyMax: 10, examHistoryMax: 10 });
}

/** The connections the StateStore tests register: an examinee and a supervisor of EXAM1. */
export const E001 = {
  clientId: 'E001',
  role: 'examinee',
  examId: 'EXAM1',
  connId: '11111111-1111-4111-8111-111111111111',
} as const satisfies ConnectionInfo;
export const S001 = {
  clientId: 'S001',
  role: 'supervisor',
  examId: 'EXAM1',
  connId: '22222222-2222-4222-8222-222222222222',
} as const satisfies ConnectionInfo;
