import { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { maskUrl } from '../logger.js';
import { backoff } from '../backoff.js';

export type { Redis } from 'ioredis';

export interface RedisClientOptions {
  url: string;
  /** Shown in `CLIENT LIST`, e.g. `exam-relay:serverA`. */
  name: string;
  logger: Logger;
  /** A command not answered in this many ms fails. Default 5000. */
  commandTimeoutMs?: number;
}

/**
 * An ioredis client that fails fast while disconnected (no offline queue) so callers see
 * `UNAVAILABLE` at once and retry on their own schedule, and reconnects forever with backoff.
 * ioredis resends commands that were in flight when a connection dropped, so every write
 * exam-relay makes is idempotent.
 */
export function createRedis({
  url,
  name,
  logger,
  commandTimeoutMs = 5000,
}: RedisClientOptions): Redis {
  const log = logger.child({ module: 'redis', url: maskUrl(url) });
  const redis = new Redis(url, {
    connectionName: name.replace(/[^A-Za-z0-9_:.-]/g, '_'),
    enableOfflineQueue: false,
    // Commands issued in the same tick (concurrent handlers) go out in one write.
    enableAutoPipelining: true,
    maxRetriesPerRequest: 1,
    commandTimeout: commandTimeoutMs,
    lazyConnect: true,
    retryStrategy: (attempt) => backoff(attempt, { base: 100, cap: 5000 }),
  });
  let wasReady = false;
  redis.on('ready', () => {
    log.info(wasReady ? 'reconnected' : 'connected');
    wasReady = true;
  });
  redis.on('error', (err: Error) => log.warn({ err: err.message }, 'redis error'));
  redis.on('end', () => log.debug('connection ended'));
  return redis;
}

/** Connects and waits for `ready`; while Redis is down, ioredis keeps retrying. */
export async function connectRedis(redis: Redis): Promise<void> {
  if (redis.status === 'ready') return;
  const ready = new Promise<void>((resolve) => redis.once('ready', () => resolve()));
  // A failed first attempt rejects here, but the retry strategy goes on; wait for ready.
  if (redis.status === 'wait') await redis.connect().catch(() => undefined);
  await ready;
}
