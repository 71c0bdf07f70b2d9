import type { Redis } from 'ioredis';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { AmqpConnection } from './amqp/connection.js';
import { connectRedis, createRedis, type SentinelSettings } from './redis/client.js';
import { createRedisKeys, type RedisKeys } from './redis/keys.js';

/** The connections a role's `main.ts` opens for it, and closes after it. */
export interface Connections {
  amqp: AmqpConnection;
  redis: Redis;
  keys: RedisKeys;
  /** Calls `listener` once if the broker connection meets an error it cannot recover from. */
  onFatal(listener: (err: Error) => void): void;
  close(): Promise<void>;
}

/** Opens the broker and Redis connections of one process (`name` shows in both). */
export async function openConnections(
  config: Config,
  logger: Logger,
  name: string,
): Promise<Connections> {
  const amqp = new AmqpConnection({ urls: config.AMQP_URL, name: `exam-relay ${name}`, logger });
  const redis = createRedis({
    url: config.REDIS_URL,
    sentinel: sentinelSettings(config),
    name: `exam-relay:${name}`,
    logger,
  });
  await Promise.all([amqp.start(), connectRedis(redis)]);
  return {
    amqp,
    redis,
    keys: createRedisKeys(config.RELAY_NAMESPACE),
    onFatal(listener) {
      amqp.onFatal(listener);
    },
    async close() {
      await amqp.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** The Sentinel settings, when the environment gives them (config checks they come together). */
export function sentinelSettings(config: Config): SentinelSettings | undefined {
  const { REDIS_SENTINELS: sentinels, REDIS_SENTINEL_NAME: name } = config;
  return sentinels && name ? { sentinels, name } : undefined;
}
