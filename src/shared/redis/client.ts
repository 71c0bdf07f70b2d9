import { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { maskUrl } from '../logger.js';
import { backoff } from '../backoff.js';
import { ConfigError } from '../errors.js';

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

/** Replies after which retrying the connection cannot help: the credentials are wrong. */
const FATAL = /^(WRONGPASS|NOAUTH|NOPERM)\b|invalid (username|password)/i;

/**
 * Connects and waits for `ready`; while Redis is down, ioredis keeps retrying. Rejects with a
 * ConfigError (and stops retrying) when Redis refuses the credentials, as the broker's 403 does.
 */
export async function connectRedis(redis: Redis): Promise<void> {
  if (redis.status === 'ready') return;
  let onError: ((err: Error) => void) | undefined;
  const settled = new Promise<void>((resolve, reject) => {
    redis.once('ready', () => resolve());
    onError = (err: Error) => {
      if (!FATAL.test(err.message)) return;
      redis.disconnect();
      reject(new ConfigError(`Redis refused the credentials in REDIS_URL: ${err.message}`));
    };
    redis.on('error', onError);
  });
  // Awaited below; until then a refusal must not count as an unhandled rejection.
  settled.catch(() => undefined);
  // A failed first attempt rejects here, but the retry strategy goes on; wait for ready.
  if (redis.status === 'wait') await redis.connect().catch(() => undefined);
  try {
    await settled;
  } finally {
    if (onError) redis.off('error', onError);
  }
}
