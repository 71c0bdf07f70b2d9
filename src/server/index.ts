import type { Duplex } from 'node:stream';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Redis } from 'ioredis';
import type { Logger } from '../shared/logger.js';
import type { AmqpConnection } from '../shared/amqp/connection.js';
import { ManagedChannel } from '../shared/amqp/channel.js';
import { consume } from '../shared/amqp/consumer.js';
import { countReconnects } from '../shared/reconnect-metrics.js';
import { once } from '../shared/lifecycle.js';
import { sleep } from '../shared/backoff.js';
import { UnavailableError } from '../shared/errors.js';
import type { RedisKeys } from '../shared/redis/keys.js';
import type { Topology } from '../topology/load.js';
import { declareServerQueue } from '../topology/server-queue.js';
import {
  CloseCode,
  ServerQueueMessage,
  parseJson,
  type StatusQueueMessage,
} from '../protocol/index.js';
import { createServerMetrics, type ServerMetrics } from './metrics.js';
import { SessionRegistry, type Session } from './session.js';
import { History } from './history.js';
import { healthHandler } from '../shared/health-http.js';
import { SIGNATURE_HEADER, type BusSigner } from '../shared/bus-signature.js';
import { deliverRouted } from './deliver.js';
import { heartbeatMessage, linkCommand } from './commands.js';
import { handleSocket } from './socket.js';
import { gateUpgrades } from './upgrade.js';
import { pingSilentSockets } from './ping.js';
import { watchBroker } from './broker-watch.js';

/** How often silent sockets are pinged; one missing an answer by the next round is dropped. */
const PING_INTERVAL_MS = 30_000;

export interface SocketServerDeps {
  amqp: AmqpConnection;
  /** Signs what the server publishes and verifies what is routed to it. */
  signer: BusSigner;
  redis: Redis;
  topology: Topology;
  keys: RedisKeys;
  logger: Logger;
  metrics?: ServerMetrics;
}

export interface SocketServerConfig {
  serverId: string;
  port: number;
  /** Default 0.0.0.0. */
  host?: string;
  authSecret: string;
  heartbeatIntervalMs: number;
  confirmTimeoutMs: number;
  maxFrameBytes: number;
  maxConnections: number;
  maxSocketsPerClient: number;
  rateLimitPerSecond: number;
  rateLimitBurst: number;
  /** Allowed Origin header values; empty allows any. */
  allowedOrigins: string[];
  /** Time allowed for the `hello` frame. Default 10000. */
  helloTimeoutMs?: number;
  /** Cut off from the broker this long, the server sheds its clients (1012). Default 10000. */
  brokerLostCloseMs?: number;
}

export interface SocketServer {
  readonly metrics: ServerMetrics;
  readonly sessions: SessionRegistry;
  /** The bound port (useful with port 0). */
  port(): number;
  ready(): boolean;
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The WebSocket socket server: authenticates clients, publishes their actions, connects and
 * disconnects to `status_queue`, consumes its own exclusive `{serverId}_queue`, and pushes
 * what is routed there to local sockets in seq order.
 */
export function createSocketServer(
  deps: SocketServerDeps,
  config: SocketServerConfig,
): SocketServer {
  const { serverId } = config;
  const log = deps.logger.child({ module: 'server', serverId });
  const metrics = deps.metrics ?? createServerMetrics();
  const stopCountingReconnects = countReconnects(metrics.registry, deps.amqp, deps.redis);
  const names = deps.topology.names;
  const sessions = new SessionRegistry();
  const history = new History(deps.redis, deps.keys);
  let closing = false;
  let consumerTag: string | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  const stoppers: (() => void)[] = [];
  const reports = new Set<Promise<void>>();

  const publisher = new ManagedChannel({
    connection: deps.amqp,
    name: 'server-publisher',
    logger: log,
    confirmTimeoutMs: config.confirmTimeoutMs,
  });
  const consumer = new ManagedChannel({
    connection: deps.amqp,
    name: 'server-consumer',
    logger: log,
    prefetch: 512,
    setup: async (channel) => {
      const queue = await declareServerQueue(channel, deps.topology, serverId);
      consumerTag = await consume(
        channel,
        queue,
        async (delivery) => {
          const { content, properties } = delivery.message;
          if (!deps.signer.verify(content, properties.headers?.[SIGNATURE_HEADER])) {
            log.error('routed message with a bad signature dropped');
          } else {
            const parsed = parseJson(ServerQueueMessage, content.toString('utf8'));
            if (parsed.ok) deliverRouted(parsed.value, { sessions, metrics, logger: log });
            else log.error({ reason: parsed.error }, 'invalid routed message dropped');
          }
          delivery.ack();
        },
        log,
        { exclusive: true },
      );
    },
  });
  // Anything routed while our queue was gone (broker restart, RESOURCE_LOCKED retries) is in
  // history: every local client catches up once the queue is back.
  consumer.on('ready', () => {
    for (const session of sessions.all()) void session.delivery?.fill();
  });

  /**
   * Publishes to `status_queue` (the exam's partition; heartbeats on theirs), mandatory: a
   * message no queue takes is refused with UnavailableError, never dropped in silence.
   */
  async function publish(message: StatusQueueMessage): Promise<void> {
    const started = performance.now();
    const body = Buffer.from(JSON.stringify(message));
    // Heartbeats belong to no exam; everything else goes to its exam's partition.
    const routingKey =
      message.type === 'sync_state' || message.data.messageType === 'tick'
        ? names.heartbeatRoutingKey
        : names.statusRoutingKeyFor(message.data.payload.examId);
    const { returned } = await publisher.publish(names.statusExchange, routingKey, body, {
      persistent: true,
      mandatory: true,
      contentType: 'application/json',
      headers: deps.signer.headers(body),
    });
    if (returned) throw new UnavailableError(`no queue took the message (${routingKey})`);
    metrics.confirmSeconds.observe((performance.now() - started) / 1000);
  }

  function ready(): boolean {
    return (
      !closing &&
      deps.amqp.current !== undefined &&
      publisher.current !== undefined &&
      consumer.current !== undefined &&
      deps.redis.status === 'ready'
    );
  }

  function sendHeartbeat(): void {
    publish(heartbeatMessage(serverId, sessions.connections())).catch((err: unknown) =>
      log.warn({ err }, 'heartbeat not published'),
    );
  }

  /** Tells every client to go elsewhere and closes its socket with `code`. */
  function shed(code: number, reason: string): void {
    for (const session of sessions.all()) {
      session.send({ type: 'reconnect', data: { reason } });
      session.close(code, reason);
    }
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: config.maxFrameBytes });
  const http: Server = createServer(healthHandler({ ready, registry: metrics.registry }));
  gateUpgrades(http, wss, {
    ready,
    maxConnections: config.maxConnections,
    allowedOrigins: config.allowedOrigins,
    onSocket: (ws: WebSocket, socket: Duplex) => {
      wss.emit('connection', ws);
      handleSocket(
        ws,
        {
          config,
          log,
          metrics,
          sessions,
          history,
          publish,
          onEnd: track(sessionEnded),
        },
        socket,
      );
    },
  });

  return {
    metrics,
    sessions,
    port: () => (http.address() as AddressInfo | null)?.port ?? config.port,
    ready,
    async start() {
      // Listen first, so /healthz and /readyz answer while the queue is still being claimed
      // (RESOURCE_LOCKED retries); sockets are refused until the server is ready.
      await new Promise<void>((resolve, reject) => {
        http.once('error', reject);
        http.listen(config.port, config.host ?? '0.0.0.0', () => {
          http.off('error', reject);
          resolve();
        });
      });
      publisher.start();
      consumer.start();
      await Promise.all([publisher.ready(), consumer.ready()]);
      sendHeartbeat();
      heartbeat = setInterval(sendHeartbeat, config.heartbeatIntervalMs);
      stoppers.push(pingSilentSockets(wss, PING_INTERVAL_MS));
      stoppers.push(
        watchBroker([publisher, consumer], {
          closeAfterMs: config.brokerLostCloseMs ?? 10_000,
          onLost: (downForMs) => {
            log.warn({ downForMs, clients: sessions.size }, 'cut off from the broker; shedding');
            shed(CloseCode.SERVICE_RESTART, 'broker unavailable');
          },
        }),
      );
      log.info({ port: (http.address() as AddressInfo).port }, 'socket server listening');
    },
    close: once(async () => {
      stopCountingReconnects();
      closing = true;
      clearInterval(heartbeat);
      for (const stop of stoppers) stop();
      log.info({ clients: sessions.size }, 'draining');
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      // Tell every client to go elsewhere; each close reports a disconnect. Wait for confirms.
      shed(CloseCode.GOING_AWAY, 'server shutting down');
      await Promise.race([waitForSessions(), sleep(5000)]);
      await Promise.race([Promise.allSettled([...reports]), sleep(5000)]);
      const channel = consumer.current;
      if (channel && consumerTag) await channel.cancel(consumerTag).catch(() => undefined);
      await consumer.close();
      await publisher.close();
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      http.closeAllConnections();
      await closed;
    }),
  };

  /** A socket closed: after the client's last socket here, report the disconnect. */
  async function sessionEnded(session: Session): Promise<void> {
    const link = sessions.remove(session);
    if (!link) return;
    metrics.connections.dec({ role: session.identity.role });
    if (!link.last) return;
    const { clientId, role, examId } = session.identity;
    const info = { clientId, role, examId, connId: link.connId };
    await publish(linkCommand(serverId, 'disconnect', info, new Date().toISOString())).catch(
      (err: unknown) => {
        // The next heartbeat reconciles it: this server no longer lists the client.
        session.log.warn({ err }, 'disconnect not reported');
      },
    );
  }

  function track(fn: (session: Session) => Promise<void>) {
    return (session: Session) => {
      const report = fn(session).finally(() => reports.delete(report));
      reports.add(report);
    };
  }

  function waitForSessions(): Promise<void> {
    return new Promise((resolve) => {
      const check = () => (sessions.size === 0 ? resolve() : setTimeout(check, 20));
      check();
    });
  }
}
