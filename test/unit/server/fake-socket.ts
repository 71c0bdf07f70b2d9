// A stand-in for a `ws` server-side socket and a socket-handler context, so the protocol of
// one connection (src/server/socket.ts) runs without a network, a broker or Redis.
import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import type { Redis } from 'ioredis';
import { signToken, type Role, type StatusQueueMessage } from '../../../src/protocol/index.js';
import { createLogger } from '../../../src/shared/logger.js';
import { eventually } from '../../helpers/eventually.js';
import { LogSink } from '../../helpers/log-sink.js';
import { createRedisKeys } from '../../../src/shared/redis/keys.js';
import { History, type WelcomeState } from '../../../src/server/history.js';
import type { Identity, Snapshot } from '../../../src/protocol/index.js';
import { createServerMetrics } from '../../../src/server/metrics.js';
import { SessionRegistry, type Session } from '../../../src/server/session.js';
import { handleSocket, socketContext, type SocketContext } from '../../../src/server/socket.js';
import type { SocketServerConfig } from '../../../src/server/config.js';

export const SECRET = 'unit-secret-0123456789abcdef0123456789abcdef';

export interface SentFrame {
  type: string;
  [key: string]: unknown;
}

/** Records what the handler sends and how it closes; `peer*` methods act as the client. */
export class FakeSocket extends EventEmitter {
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSING = 2;
  readonly CLOSED = 3;
  readyState = 1;
  bufferedAmount = 0;
  readonly sent: string[] = [];
  closeCode: number | undefined;
  closeReason: string | undefined;
  /** False for a client that never answers the close handshake (the socket stays CLOSING). */
  answersClose = true;

  send(text: string): void {
    if (this.readyState !== this.OPEN) throw new Error('send on a socket that is not open');
    this.sent.push(text);
  }

  close(code: number, reason: string): void {
    if (this.readyState >= this.CLOSING) return;
    this.readyState = this.CLOSING;
    this.closeCode = code;
    this.closeReason = reason;
    if (this.answersClose) setImmediate(() => this.finish(code));
  }

  /** Destroys the connection without a close handshake, like ws's terminate(). */
  terminate(): void {
    if (this.readyState === this.CLOSED) return;
    this.finish(1006);
  }

  /** The client sends a text frame. */
  peerText(text: string): void {
    this.emit('message', Buffer.from(text, 'utf8'), false);
  }

  /** The client sends a binary frame. */
  peerBinary(data: Buffer): void {
    this.emit('message', data, true);
  }

  /** The client's TCP connection drops. */
  peerGone(): void {
    if (this.readyState === this.CLOSED) return;
    this.finish(1006);
  }

  frames(): SentFrame[] {
    return this.sent.map((t) => JSON.parse(t) as SentFrame);
  }

  get ws(): WebSocket {
    return this as unknown as WebSocket;
  }

  private finish(code: number): void {
    this.readyState = this.CLOSED;
    this.emit('close', code, Buffer.alloc(0));
  }
}

/** History with a settable seq and an optional delay on the first read. */
export class FakeHistory extends History {
  seq = 0;
  delayMs = 0;
  /** How many seq reads have started. */
  reads = 0;

  constructor() {
    super(undefined as unknown as Redis, createRedisKeys(''));
  }

  override async welcome(): Promise<WelcomeState> {
    this.reads += 1;
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    return { epoch: 'e1', seq: this.seq, status: null };
  }

  override async snapshot(identity: Identity): Promise<Snapshot['data']> {
    return { examId: identity.examId, status: null, examinees: [], truncated: false };
  }

  override async after(): Promise<{ seq: number; text: string }[]> {
    return [];
  }
}

export interface Harness {
  ctx: SocketContext;
  published: StatusQueueMessage[];
  ended: Session[];
  history: FakeHistory;
  logs: LogSink;
  /** Makes `publish` fail with this error (or succeed again with undefined). */
  failPublishWith(err: Error | undefined): void;
  /** Moves the rate limits' clock on; it stands still otherwise, so refills never race the test. */
  advance(ms: number): void;
  /** A socket handled by this context. */
  open(): FakeSocket;
}

export function harness(config: Partial<SocketServerConfig> = {}): Harness {
  const published: StatusQueueMessage[] = [];
  const ended: Session[] = [];
  const history = new FakeHistory();
  const logs = new LogSink();
  let failure: Error | undefined;
  let now = 0;
  const ctx: SocketContext = socketContext({
    clock: () => now,
    config: {
      serverId: 'serverT',
      port: 0,
      authSecret: SECRET,
      heartbeatIntervalMs: 5000,
      confirmTimeoutMs: 1000,
      maxFrameBytes: 65_536,
      maxConnections: 100,
      maxSocketsPerClient: 3,
      rateLimitPerSecond: 20,
      rateLimitBurst: 40,
      allowedOrigins: [],
      helloTimeoutMs: 10_000,
      ...config,
    },
    log: createLogger({ service: 'unit', level: 'trace' }, logs),
    metrics: createServerMetrics(),
    sessions: new SessionRegistry(),
    history,
    publish: async (message) => {
      if (failure) throw failure;
      published.push(message);
    },
    onEnd: (session) => {
      ctx.sessions.remove(session);
      ended.push(session);
    },
  });
  return {
    ctx,
    published,
    ended,
    history,
    logs,
    failPublishWith: (err) => (failure = err),
    advance: (ms) => (now += ms),
    open: () => {
      const socket = new FakeSocket();
      handleSocket(socket.ws, ctx);
      return socket;
    },
  };
}

export const token = (clientId: string, role: Role, examId = 'EXAM1', ttl = 3600) =>
  signToken(SECRET, { clientId, role, examId }, ttl);

/** Opens a socket and completes `hello` → `welcome`. */
export async function authenticated(
  h: Harness,
  clientId: string,
  role: Role,
  examId = 'EXAM1',
): Promise<FakeSocket> {
  const socket = h.open();
  socket.peerText(JSON.stringify({ type: 'hello', token: await token(clientId, role, examId) }));
  await eventually(() => socket.frames().some((f) => f.type === 'welcome'), 'welcome');
  await eventually(
    () => h.published.some((m) => isConnectOf(m, clientId)),
    `connect of ${clientId}`,
  );
  return socket;
}

export function isConnectOf(message: StatusQueueMessage, clientId: string): boolean {
  return (
    message.type === 'route_message' &&
    message.data.messageType === 'connect' &&
    'clientId' in message.data.payload &&
    message.data.payload.clientId === clientId
  );
}

/** Reads a counter or gauge of the harness's registry by label. */
export async function metric(h: Harness, name: string, labels: Record<string, string>) {
  const json = await h.ctx.metrics.registry.getMetricsAsJSON();
  const found = json.find((m) => m.name === name);
  const value = (found?.values ?? []).find((v) =>
    Object.entries(labels).every(([k, l]) => String(v.labels[k]) === l),
  );
  return value?.value ?? 0;
}
