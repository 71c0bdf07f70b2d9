import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import { Redis } from 'ioredis';
import { eventually } from './eventually.js';

/** The services under test; the same defaults as the product. */
export const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A namespace no other test run uses: `t<random>`. */
export function randomNamespace(): string {
  return `t${randomBytes(5).toString('hex')}`;
}

/** A raw Redis client for assertions, independent of the code under test. */
export function rawRedis(): Redis {
  return new Redis(REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 2 });
}

/** The Redis client name of `cleanRedis`, so the bench can tell its commands from a system's. */
export const CLEANUP_CLIENT_NAME = 'relay-cleanup';

/** Deletes every Redis key of the namespace (on the machine's Redis unless `connect` says). */
export async function cleanRedis(
  namespace: string,
  connect: () => Redis = rawRedis,
): Promise<void> {
  const redis = connect();
  try {
    await redis.client('SETNAME', CLEANUP_CLIENT_NAME);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${namespace}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** Messages in the namespace's dead-letter queue (on the node `url`, the machine's by default). */
export async function dlqDepth(namespace: string, url = AMQP_URL): Promise<number> {
  const connection = await amqp.connect(url);
  try {
    const channel = await connection.createChannel();
    return (await channel.checkQueue(`${namespace}.status_queue.dlq`)).messageCount;
  } finally {
    await connection.close();
  }
}

/** Deletes the named queues and exchanges (missing ones are fine). */
export async function cleanBroker(entities: {
  queues?: string[];
  exchanges?: string[];
}): Promise<void> {
  const conn = await amqp.connect(AMQP_URL);
  try {
    for (const queue of entities.queues ?? []) {
      const ch = await conn.createChannel();
      ch.on('error', () => undefined);
      await ch.deleteQueue(queue).catch(() => undefined);
      await ch.close().catch(() => undefined);
    }
    for (const exchange of entities.exchanges ?? []) {
      const ch = await conn.createChannel();
      ch.on('error', () => undefined);
      await ch.deleteExchange(exchange).catch(() => undefined);
      await ch.close().catch(() => undefined);
    }
  } finally {
    await conn.close();
  }
}

/** Deletes the queues and exchanges of a loaded topology (missing ones are fine). */
export function cleanTopology(topology: {
  queues: readonly { name: string }[];
  exchanges: readonly { name: string }[];
}): Promise<void> {
  return cleanBroker({
    queues: topology.queues.map((q) => q.name),
    exchanges: topology.exchanges.map((e) => e.name),
  });
}

/** Waits until the state manager has routed `clientId` to `serverId` (or removed it: undefined). */
export async function routed(
  redis: Redis,
  namespace: string,
  clientId: string,
  serverId: string | undefined,
  timeoutMs = 10_000,
): Promise<void> {
  await eventually(
    async () =>
      ((await redis.hget(`${namespace}:client:${clientId}:route`, 'serverId')) ?? undefined) ===
      serverId,
    `${clientId} routed to ${serverId ?? 'nowhere'}`,
    timeoutMs,
  );
}
