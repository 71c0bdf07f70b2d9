import type { Redis } from 'ioredis';
import type { RedisKeys } from '../../src/shared/redis/keys.js';
import { StateStore } from '../../src/state-manager/state-store.js';

/** A StateStore with the small retention and history caps the integration tests use. */
export function testStateStore(redis: Redis, keys: RedisKeys): StateStore {
  return new StateStore(redis, keys, { retentionSeconds: 60, historyMax: 10, examHistoryMax: 10 });
}
