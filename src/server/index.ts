import type { Duplex } from 'node:stream';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { countReconnects } from '../shared/reconnect-metrics.js';
import { once, type RoleLifecycle } from '../shared/lifecycle.js';
import { sleep } from '../shared/backoff.js';
import { healthHandler } from '../shared/health-http.js';
import type { RoleDeps } from '../shared/role-deps.js';
import type { Topology } from '../topology/index.js';
import { CloseCode } from '../protocol/index.js';
import type { SocketServerConfig } from './config.js';
import { createServerMetrics, type ServerMetrics } from './metrics.js';
import { SessionRegistry } from './session.js';
import { History } from './history.js';
import { heartbeatMessage } from './commands.js';
import { handleSocket, socketContext } from './socket.js';
import { gateUpgrades } from './upgrade.js';
import { pingSilentSockets } from './ping.js';
import { watchBroker } from './broker-watch.js';
import { RoutedConsumer } from './routed-consumer.js';
import { StatusPublisher } from './status-publisher.js';
import { DisconnectReports } from './disconnect-reports.js';

export type { SocketServerConfig } from './config.js';

/** How often silent sockets are pinged; one missing an answer by the next round is dropped. */
const PING_INTERVAL_MS = 30_000;

export interface SocketServerDeps extends RoleDeps<ServerMetrics> {
  topology: Topology;
}

export interface SocketServer extends RoleLifecycle {
  readonly metrics: ServerMetrics;
  readonly sessions: SessionRegistry;
  /** The bound port (useful with port 0). */
  port(): number;
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
  const sessions = new SessionRegistry();
  const history = new History(deps.redis, deps.keys);
  let closing = false;
  let heartbeat: NodeJS.Timeout | undefined;
  const stoppers: (() => void)[] = [];

  const publisher = new StatusPublisher({
    amqp: deps.amqp,
    signer: deps.signer,
    names: deps.topology.names,
    metrics,
    logger: log,
    confirmTimeoutMs: config.confirmTimeoutMs,
  });
  const publish = publisher.publish.bind(publisher);
  const consumer = new RoutedConsumer(
    Object.assign({}, deps, { sessions, metrics, logger: log }),
    serverId,
  );
  const disconnects = new DisconnectReports({ serverId, sessions, metrics, publish });

  function ready(): boolean {
    return (
      !closing &&
      deps.amqp.current !== undefined &&
      publisher.channel.current !== undefined &&
      consumer.channel.current !== undefined &&
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

  const sockets = socketContext({
    config,
    log,
    metrics,
    sessions,
    history,
    publish,
    onEnd: (session) => disconnects.ended(session),
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.maxFrameBytes });
  const http: Server = createServer(healthHandler({ ready, registry: metrics.registry }));
  gateUpgrades(http, wss, {
    ready,
    maxConnections: config.maxConnections,
    allowedOrigins: config.allowedOrigins,
    onSocket: (ws: WebSocket, socket: Duplex) => {
      wss.emit('connection', ws);
      handleSocket(ws, sockets, socket);
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
      publisher.channel.start();
      consumer.channel.start();
      await Promise.all([publisher.channel.ready(), consumer.channel.ready()]);
      sendHeartbeat();
      heartbeat = setInterval(sendHeartbeat, config.heartbeatIntervalMs);
      // Back after a broker outage: say we are alive at once, not a heartbeat interval later.
      publisher.channel.on('ready', sendHeartbeat);
      stoppers.push(pingSilentSockets(wss, PING_INTERVAL_MS));
      stoppers.push(
        watchBroker([publisher.channel, consumer.channel], {
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
      await Promise.race([disconnects.settled(), sleep(5000)]);
      await consumer.close();
      await publisher.channel.close();
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      http.closeAllConnections();
      await closed;
    }),
  };

  function waitForSessions(): Promise<void> {
    return new Promise((resolve) => {
      const check = () => (sessions.size === 0 ? resolve() : setTimeout(check, 20));
      check();
    });
  }
}
