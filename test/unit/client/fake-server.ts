import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import type { Hello } from '../../../src/protocol/client-frame.js';
import type { ServerFrame } from '../../../src/protocol/server-frame.js';
import {
  ExamRelayClient,
  type ExamRelayClientEvents,
  type ExamRelayClientOptions,
} from '../../../src/client/index.js';
import { eventually } from '../../helpers/eventually.js';

export type Sent = Record<string, unknown> & { type: string };

/** One client socket as the fake server sees it. */
export class FakeConnection {
  readonly frames: Sent[] = [];
  closeCode: number | undefined;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => this.frames.push(JSON.parse(data.toString()) as Sent));
    ws.on('close', (code) => (this.closeCode = code));
    ws.on('error', () => undefined);
  }

  get hello(): Hello | undefined {
    return this.frames.find((f) => f.type === 'hello') as Hello | undefined;
  }

  /** Frames of a type the client sent on this socket. */
  of(type: string): Sent[] {
    return this.frames.filter((f) => f.type === type);
  }

  async next(type: string, count = 1): Promise<Sent[]> {
    return eventually(() => this.of(type).length >= count && this.of(type), `${count} ${type}`);
  }

  send(frame: ServerFrame | Record<string, unknown>): void {
    this.ws.send(JSON.stringify(frame));
  }

  sendRaw(text: string): void {
    this.ws.send(text);
  }

  close(code: number, reason = ''): void {
    this.ws.close(code, reason);
  }

  /** Drops the TCP connection without a close frame, as a crashed server does. */
  terminate(): void {
    this.ws.terminate();
  }
}

export interface FakeServerOptions {
  /** serverId in welcomes. */
  name?: string;
  /** Answers hello with welcome (resuming where the client asks). Default true. */
  autoWelcome?: boolean;
  /** The lastSeq the welcome states; default: the hello's resume.lastSeq. */
  welcomeSeq?: (requested: number) => number;
  /**
   * Answers each status_change: `nth` counts the frames with that id this server has seen.
   * Return a frame to send back, or undefined to stay silent.
   */
  answer?: (frame: Sent, nth: number) => Record<string, unknown> | undefined;
}

/** An in-process WebSocket server that plays the socket server's side of the protocol. */
export class FakeServer {
  readonly connections: FakeConnection[] = [];

  private constructor(
    private readonly wss: WebSocketServer,
    readonly options: FakeServerOptions,
  ) {
    const seen = new Map<unknown, number>();
    wss.on('connection', (ws) => {
      const connection = new FakeConnection(ws);
      this.connections.push(connection);
      ws.on('message', (data) => {
        const frame = JSON.parse(data.toString()) as Sent;
        if (frame.type === 'status_change' && options.answer) {
          const nth = seen.get(frame.id) ?? 0;
          seen.set(frame.id, nth + 1);
          const reply = options.answer(frame, nth);
          if (reply) connection.send(reply);
          return;
        }
        if (frame.type !== 'hello' || options.autoWelcome === false) return;
        const requested = (frame as Hello).resume?.lastSeq ?? 0;
        connection.send({
          type: 'welcome',
          data: {
            clientId: 'S001',
            role: 'supervisor',
            examId: 'EXAM1',
            serverId: options.name ?? 'fake',
            lastSeq: options.welcomeSeq?.(requested) ?? requested,
            epoch: 'e1',
            status: null,
          },
        });
      });
    });
  }

  static async start(options: FakeServerOptions = {}): Promise<FakeServer> {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', path: '/ws' });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    return new FakeServer(wss, options);
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.wss.address() as AddressInfo).port}/ws`;
  }

  /** The nth connection (0-based), waiting for it. */
  connection(n: number, timeoutMs = 3000): Promise<FakeConnection> {
    return eventually(() => this.connections[n], `connection #${n} to ${this.url}`, timeoutMs);
  }

  /** The nth connection once the client has been welcomed on it. */
  async welcomed(n: number): Promise<FakeConnection> {
    const connection = await this.connection(n);
    await connection.next('hello');
    return connection;
  }

  async stop(): Promise<void> {
    for (const c of this.connections) c.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

/** A ws:// URL nobody listens on (connections are refused at once). */
export async function deadUrl(): Promise<string> {
  const server = await FakeServer.start();
  const { url } = server;
  await server.stop();
  return url;
}

export { WebSocket };

/** Clients and fake servers of one test, all stopped in `afterEach`. */
export class Harness {
  private readonly servers: FakeServer[] = [];
  private readonly clients: ExamRelayClient[] = [];

  async server(options: FakeServerOptions = {}): Promise<FakeServer> {
    const server = await FakeServer.start(options);
    this.servers.push(server);
    return server;
  }

  /** A client with short timings, on `ws`, with token `tok`. */
  client(options: Partial<ExamRelayClientOptions> & { urls: string[] }): ExamRelayClient {
    const client = new ExamRelayClient({
      token: 'tok',
      WebSocket,
      backoff: { baseMs: 10, capMs: 40 },
      requestTimeoutMs: 2000,
      requestDeadlineMs: 5000,
      connectTimeoutMs: 2000,
      ...options,
    });
    this.clients.push(client);
    return client;
  }

  /**
   * A fake server and a client on it, connected, with `events` recorded from before the
   * connect (`seen`); `conn` is the server's side of the client's socket.
   */
  async connected<E extends keyof ExamRelayClientEvents>(
    events: readonly E[] = [],
    options: { server?: FakeServerOptions; client?: Partial<ExamRelayClientOptions> } = {},
  ): Promise<{
    server: FakeServer;
    client: ExamRelayClient;
    conn: FakeConnection;
    seen: { [K in E]: Recorded<K> };
  }> {
    const server = await this.server(options.server);
    const client = this.client({ urls: [server.url], ...options.client });
    const seen = {} as { [K in E]: Recorded<K> };
    for (const event of events) seen[event] = record(client, event);
    await client.connect();
    return { server, client, conn: await server.connection(0), seen };
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.clients.splice(0).map((c) => c.close()));
    await Promise.all(this.servers.splice(0).map((s) => s.stop()));
  }
}

/** The first argument of every emission of event `K`, in order. */
export type Recorded<K extends keyof ExamRelayClientEvents> = ExamRelayClientEvents[K][0][];

/** Collects the arguments of every emission of an event. */
export function record<K extends keyof ExamRelayClientEvents>(
  client: ExamRelayClient,
  event: K,
): Recorded<K> {
  const seen: Recorded<K> = [];
  client.on(event, (...args: ExamRelayClientEvents[K]) => seen.push(args[0]));
  return seen;
}
