import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import type { Logger } from '../shared/logger.js';
import type { AmqpConnection } from '../shared/amqp/connection.js';
import { ManagedChannel } from '../shared/amqp/channel.js';
import { UnavailableError } from '../shared/errors.js';
import { once, type RoleLifecycle } from '../shared/lifecycle.js';
import { sleep } from '../shared/backoff.js';
import { countReconnects } from '../shared/reconnect-metrics.js';
import type { RedisKeys } from '../shared/redis/keys.js';
import type { Topology } from '../topology/index.js';
import { createAuthenticator } from './auth.js';
import { createAdminHttp } from './http.js';
import { apiRoutes } from './api.js';
import { ClusterSource } from './cluster.js';
import { QueueSampler } from './queues.js';
import { DeadLetterQueue } from './dead-letters.js';
import { LiveFeed } from './live-feed.js';
import { ManagementClient } from '../shared/management-api.js';
import { ManagementApi } from './management-api.js';
import { subscribeSyncState } from './sync-state.js';
import { readTopology, type TopologyView } from './topology-view.js';
import { readExam } from './exam-view.js';
import { readClient } from './client-view.js';
import { createAdminMetrics, type AdminMetrics } from './metrics.js';
import { PAGE_ASSETS } from './page/index.js';
import { tryItPages, type TryItOptions } from './try-it/index.js';

export interface AdminDeps {
  amqp: AmqpConnection;
  redis: Redis;
  topology: Topology;
  keys: RedisKeys;
  logger: Logger;
  metrics?: AdminMetrics;
}

export interface AdminConfig {
  port: number;
  /** Interface to listen on. Default `0.0.0.0`. */
  host?: string;
  /** ADMIN_TOKEN: the basic-auth password (user `admin`) and the API's bearer token. */
  adminToken: string;
  /**
   * RabbitMQ management API (`http://user:pass@host:15672`) for message rates and binding
   * checks. Default none: depths by passive declare, rates shown as n/a.
   */
  managementUrl?: string;
  /** The broker vhost (for the management API). Default `/`. */
  vhost?: string;
  /** HEARTBEAT_INTERVAL_MS; a heartbeat older than 3 times this counts as silent. Default 5000. */
  heartbeatIntervalMs?: number;
  /** How often the live feed reads Redis for watching pages, in ms. Default 1000. */
  pollIntervalMs?: number;
  /** How often queues are sampled, in ms. Default 2000. */
  sampleIntervalMs?: number;
  /** A replay not confirmed by the broker in this many ms fails. Default 10000. */
  confirmTimeoutMs?: number;
  /**
   * Serve the try-it pages under `/try/` (they hand out client tokens, so only `exam-relay dev`
   * sets this). Default none: `/try/` is 404.
   */
  tryIt?: TryItOptions;
}

export interface Admin extends RoleLifecycle {
  readonly metrics: AdminMetrics;
  /** The bound port (useful with port 0). */
  port(): number;
}

/**
 * The admin: a web page and JSON API behind ADMIN_TOKEN showing the cluster (from sync_state
 * and Redis), queues, exams and clients, dead letters (replay, discard), request traces and
 * topology drift, updating live over server-sent events. Given connections are not closed.
 */
export function createAdmin(deps: AdminDeps, config: AdminConfig): Admin {
  const log = deps.logger.child({ module: 'admin' });
  const metrics = deps.metrics ?? createAdminMetrics();
  let stopCounting: (() => void) | undefined;
  const names = deps.topology.names;
  const heartbeatIntervalMs = config.heartbeatIntervalMs ?? 5000;
  const vhost = config.vhost ?? '/';
  const management =
    config.managementUrl !== undefined
      ? new ManagementApi(new ManagementClient(config.managementUrl), vhost)
      : undefined;

  const cluster = new ClusterSource(deps, Math.max(3000, 3 * heartbeatIntervalMs));
  const publisher = new ManagedChannel({
    connection: deps.amqp,
    name: 'admin-replay',
    logger: log,
    confirmTimeoutMs: config.confirmTimeoutMs ?? 10_000,
  });
  const dlqLimit = deps.topology.queues.find((q) => q.name === names.deadLetterQueue)?.arguments[
    'x-delivery-limit'
  ];
  const deadLetters = new DeadLetterQueue({
    amqp: deps.amqp,
    publisher,
    names,
    logger: log,
    metrics,
    deliveryLimit: typeof dlqLimit === 'number' ? dlqLimit : undefined,
  });
  const queues = new QueueSampler(
    { ...deps, logger: log, metrics, management },
    config.sampleIntervalMs ?? 2000,
  );

  const health = () => {
    const last = cluster.lastReceivedAt();
    return {
      amqp: deps.amqp.status,
      redis: deps.redis.status,
      syncStateListener: syncState.status,
      lastSyncStateAt: last?.toISOString() ?? null,
    };
  };
  const feed = new LiveFeed(
    {
      cluster: () => cluster.snapshot(),
      exam: (id) => readExam(deps, id),
      client: (id) => readClient(deps, id),
      health,
    },
    {
      pollIntervalMs: config.pollIntervalMs ?? 1000,
      logger: log,
      metrics,
      hello: { namespace: names.namespace, heartbeatIntervalMs },
    },
  );
  const syncState = subscribeSyncState(
    { amqp: deps.amqp, names, logger: log, metrics },
    (state, at) => {
      cluster.update(state, at);
      metrics.lastSyncState.set(at.getTime() / 1000);
      feed.poke();
    },
  );
  queues.on('sample', (sample) => feed.publish('queues', sample));

  let checking: Promise<TopologyView> | undefined;
  const topology = () =>
    (checking ??= (async () => {
      const model = deps.amqp.current;
      if (!model) throw new UnavailableError('the broker connection is down');
      return readTopology(model, deps.topology, {
        ...(config.managementUrl !== undefined ? { managementUrl: config.managementUrl } : {}),
        vhost,
      });
    })().finally(() => (checking = undefined)));

  const ready = () =>
    deps.amqp.current !== undefined &&
    deps.redis.status === 'ready' &&
    syncState.current !== undefined;

  const tryIt = config.tryIt ? tryItPages(config.tryIt) : { routes: [], assets: {} };
  const http: Server = createAdminHttp({
    authenticate: createAuthenticator(config.adminToken),
    routes: apiRoutes({
      redis: deps.redis,
      keys: deps.keys,
      cluster,
      queues,
      deadLetters,
      feed,
      topology,
      health,
      namespace: names.namespace,
    }).concat(tryIt.routes),
    assets: { ...PAGE_ASSETS, ...tryIt.assets },
    ready,
    metrics,
    logger: log,
  });

  return {
    metrics,
    port: () => (http.address() as AddressInfo | null)?.port ?? config.port,
    ready,
    async start() {
      stopCounting = countReconnects(metrics.registry, deps.amqp, deps.redis);
      publisher.start();
      syncState.start();
      // Without the topology (e.g. not declared yet) the listener's setup keeps retrying; the
      // admin still starts, to show what is wrong.
      const subscribed = await Promise.race([
        Promise.all([publisher.ready(), syncState.ready()]).then(() => true),
        sleep(5000).then(() => false),
      ]);
      if (!subscribed) log.warn('not yet listening to sync_state; retrying in the background');
      queues.start();
      feed.start();
      await new Promise<void>((resolve, reject) => {
        http.once('error', reject);
        http.listen(config.port, config.host ?? '0.0.0.0', () => {
          http.off('error', reject);
          resolve();
        });
      });
      log.info(
        { port: (http.address() as AddressInfo).port, managementApi: management?.shown ?? null },
        'admin listening',
      );
    },
    close: once(async () => {
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      feed.close();
      queues.close();
      http.closeAllConnections();
      await closed;
      await deadLetters.drain();
      await syncState.close();
      await publisher.close();
      stopCounting?.();
      log.info('admin closed');
    }),
  };
}
