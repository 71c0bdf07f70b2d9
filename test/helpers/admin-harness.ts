import { Writable } from 'node:stream';
import amqp, { type ChannelModel } from 'amqplib';
import type { Redis } from 'ioredis';
import { createAdmin, type Admin, type AdminConfig } from '../../src/admin/index.js';
import { AmqpConnection } from '../../src/shared/amqp/connection.js';
import { createLogger } from '../../src/shared/logger.js';
import { createRedis, connectRedis } from '../../src/shared/redis/client.js';
import { createRedisKeys, type RedisKeys } from '../../src/shared/redis/keys.js';
import { declareTopology } from '../../src/topology/declare.js';
import { loadTopologyFile, parseTopology, type Topology } from '../../src/topology/load.js';
import {
  AMQP_URL,
  REDIS_URL,
  cleanRedis,
  cleanTopology,
  randomNamespace,
  rawRedis,
} from './env.js';
import { TOPOLOGY_FILE } from './processes.js';

export const ADMIN_TOKEN = 'harness-admin-token-0123456789';

/** An in-process admin on real RabbitMQ and Redis in its own namespace, with raw clients. */
export interface AdminHarness {
  ns: string;
  topology: Topology;
  keys: RedisKeys;
  admin: Admin;
  /** `http://127.0.0.1:<port>` */
  base: string;
  /** Raw clients for setup and assertions, independent of the code under test. */
  redis: Redis;
  model: ChannelModel;
  /** Every log line the admin wrote. */
  logs: string[];
  /** fetch with `Authorization: Bearer <token>` unless `auth: false` or another header. */
  api(path: string, init?: RequestInit & { auth?: boolean }): Promise<Response>;
  /** Publishes a message and waits for the broker's confirm. */
  publish(
    exchange: string,
    routingKey: string,
    body: string | object,
    headers?: Record<string, unknown>,
  ): Promise<void>;
  close(): Promise<void>;
}

export async function startAdminHarness(
  options: {
    /** YAML to use instead of the project's topology file (same namespace). */
    topologyText?: string;
    /** Declare the project's topology first. Default true. */
    declare?: boolean;
    /** An existing namespace (to look at another harness's broker entities). */
    ns?: string;
    config?: Partial<AdminConfig>;
  } = {},
): Promise<AdminHarness> {
  const ns = options.ns ?? randomNamespace();
  const fileTopology = await loadTopologyFile(TOPOLOGY_FILE, ns);
  const topology = options.topologyText ? parseTopology(options.topologyText, ns) : fileTopology;
  const model = await amqp.connect(AMQP_URL, { noDelay: true });
  if (options.declare ?? true) await declareTopology(model, fileTopology);
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const logger = createLogger({ level: 'debug', service: 'admin-test' }, sink);
  const connection = new AmqpConnection({ urls: [AMQP_URL], name: 'admin-test', logger });
  const client = createRedis({ url: REDIS_URL, name: 'admin-test', logger });
  await Promise.all([connection.start(), connectRedis(client)]);
  const keys = createRedisKeys(ns);
  let admin: Admin;
  try {
    admin = createAdmin(
      { amqp: connection, redis: client, topology, keys, logger },
      {
        port: 0,
        host: '127.0.0.1',
        adminToken: ADMIN_TOKEN,
        heartbeatIntervalMs: 1000,
        pollIntervalMs: 200,
        sampleIntervalMs: 300,
        ...options.config,
      },
    );
  } catch (err) {
    await connection.close();
    client.disconnect();
    await model.close();
    throw err;
  }
  await admin.start();
  const base = `http://127.0.0.1:${admin.port()}`;
  const redis = rawRedis();
  const channel = await model.createConfirmChannel();

  return {
    ns,
    topology,
    keys,
    admin,
    base,
    redis,
    model,
    logs,
    api(path, init = {}) {
      const { auth = true, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (auth && !headers.has('authorization'))
        headers.set('authorization', `Bearer ${ADMIN_TOKEN}`);
      return fetch(`${base}${path}`, { ...rest, headers });
    },
    async publish(exchange, routingKey, body, headers = {}) {
      const content = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
      channel.publish(exchange, routingKey, content, { persistent: true, headers });
      await channel.waitForConfirms();
    },
    async close() {
      await admin.close();
      await connection.close();
      await client.quit().catch(() => client.disconnect());
      redis.disconnect();
      await model.close().catch(() => undefined);
      if (!options.ns) {
        await cleanTopology(fileTopology);
        await cleanRedis(ns);
      }
    },
  };
}
