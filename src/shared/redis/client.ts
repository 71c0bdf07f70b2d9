import { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { maskUrl } from '../logger.js';
import { backoff } from '../backoff.js';
import { ConfigError } from '../errors.js';

export type { Redis } from 'ioredis';

/** Where Sentinel is asked for the primary (`REDIS_SENTINELS`, `REDIS_SENTINEL_NAME`). */
export interface SentinelSettings {
  sentinels: { host: string; port: number }[];
  /** The master group name the Sentinels monitor. */
  name: string;
}

export interface RedisClientOptions {
  /** With `sentinel`, only its credentials, database and `rediss:` are used. */
  url: string;
  /** Find the primary through Sentinel and follow a failover, instead of `url`'s host. */
  sentinel?: SentinelSettings;
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
 *
 * With `sentinel`, each (re)connect asks the Sentinels in turn for the primary, and checks that
 * the node it reaches reports `role:master` (a demoted primary is refused and asked again).
 * A failover reaches the client three ways: Sentinel's `+switch-master` (ioredis'
 * `failoverDetector` subscribes to it and disconnects), the demoted primary closing its
 * clients (Sentinel sends `CLIENT KILL TYPE normal` with the `REPLICAOF`), or a `READONLY`
 * reply, which also reconnects. Meanwhile commands fail at once (transient, `UNAVAILABLE`).
 */
export function createRedis({
  url,
  sentinel,
  name,
  logger,
  commandTimeoutMs = 5000,
}: RedisClientOptions): Redis {
  const log = logger.child({
    module: 'redis',
    ...(sentinel
      ? {
          sentinels: sentinel.sentinels.map((s) => `${s.host}:${s.port}`).join(','),
          sentinelName: sentinel.name,
        }
      : { url: maskUrl(url) }),
  });
  const retry = (attempt: number) => backoff(attempt, { base: 100, cap: 5000 });
  const redis = new Redis(url, {
    connectionName: name.replace(/[^A-Za-z0-9_:.-]/g, '_'),
    enableOfflineQueue: false,
    // Commands issued in the same tick (concurrent handlers) go out in one write.
    enableAutoPipelining: true,
    maxRetriesPerRequest: 1,
    commandTimeout: commandTimeoutMs,
    lazyConnect: true,
    retryStrategy: retry,
    ...(sentinel && {
      sentinels: sentinel.sentinels,
      name: sentinel.name,
      role: 'master' as const,
      // Every Sentinel unreachable: ask them all again, with backoff, forever.
      sentinelRetryStrategy: retry,
      sentinelCommandTimeout: 2000,
      failoverDetector: true,
      enableTLSForSentinelMode: url.startsWith('rediss:'),
      // A write that reached a primary demoted under it: reconnect (through Sentinel), and
      // let the command fail, so the caller's retry goes to the new primary.
      reconnectOnError: (err: Error) => /^READONLY\b/.test(err.message),
    }),
  });
  let wasReady = false;
  redis.on('ready', () => {
    const { remoteAddress, remotePort } = redis.stream;
    const primary = sentinel ? { primary: `${remoteAddress}:${remotePort}` } : {};
    log.info(primary, wasReady ? 'reconnected' : 'connected');
    wasReady = true;
  });
  redis.on('error', (err: Error) => log.warn({ err: err.message }, 'redis error'));
  redis.on('end', () => log.debug('connection ended'));
  return redis;
}

/** Replies after which retrying the connection cannot help: the credentials are wrong. */
const FATAL = /^(WRONGPASS|NOAUTH|NOPERM)\b|invalid (username|password)/i;

/** ioredis' words (SentinelConnector) for a round over every Sentinel that found no primary. */
const ROUND_FAILED = /^All sentinels are unreachable/;
/** …and for a Sentinel that answered but does not monitor the name asked for. */
const UNKNOWN_NAME = /No such master with that name$|successfully, but got an invalid reply: null$/;

/**
 * Connects and waits for `ready`; while Redis is down, ioredis keeps retrying. Rejects with a
 * ConfigError (and stops retrying) when Redis refuses the credentials, as the broker's 403 does,
 * or when every Sentinel answered in one round and none monitors `REDIS_SENTINEL_NAME`.
 */
export async function connectRedis(redis: Redis): Promise<void> {
  if (redis.status === 'ready') return;
  let onError: ((err: Error) => void) | undefined;
  let onSentinelError: ((err: Error) => void) | undefined;
  const settled = new Promise<void>((resolve, reject) => {
    redis.once('ready', () => resolve());
    const fail = (err: ConfigError) => {
      redis.disconnect();
      reject(err);
    };
    // Within one round over the Sentinels: how many did not know the name, and whether any
    // failed otherwise (unreachable: that is worth retrying).
    let unknownName = 0;
    let otherFailure = false;
    onSentinelError = (err: Error) => {
      if (UNKNOWN_NAME.test(err.message)) unknownName += 1;
      else otherFailure = true;
    };
    onError = (err: Error) => {
      if (FATAL.test(err.message)) {
        fail(new ConfigError(`Redis refused the credentials in REDIS_URL: ${err.message}`));
      } else if (ROUND_FAILED.test(err.message)) {
        if (unknownName > 0 && !otherFailure) {
          fail(
            new ConfigError(
              'no Sentinel in REDIS_SENTINELS monitors the master named in REDIS_SENTINEL_NAME',
            ),
          );
        }
        unknownName = 0;
        otherFailure = false;
      }
    };
    redis.on('error', onError);
    redis.on('sentinelError', onSentinelError);
  });
  // Awaited below; until then a refusal must not count as an unhandled rejection.
  settled.catch(() => undefined);
  // A failed first attempt rejects here, but the retry strategy goes on; wait for ready.
  if (redis.status === 'wait') await redis.connect().catch(() => undefined);
  try {
    await settled;
  } finally {
    if (onError) redis.off('error', onError);
    if (onSentinelError) redis.off('sentinelError', onSentinelError);
  }
}
