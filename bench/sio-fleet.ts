import { io, type Socket } from 'socket.io-client';
import { signToken, type Role } from '../src/protocol/index.js';
import { TEST_SECRET } from '../test/helpers/processes.js';
import type {
  ClientHooks,
  Fleet,
  FleetClient,
  FleetSupervisor,
  Integrity,
  WelcomeStatus,
} from './fleet.js';

interface Ack {
  id: string;
  error?: string;
}

/**
 * The Socket.IO peer's clients (WebSocket transport only, no automatic reconnect: the bench
 * reconnects itself, as it does for exam-relay). Without seqs, a duplicate is an id seen twice.
 */
export class SioFleet implements Fleet {
  readonly name = 'socket.io';
  readonly integrity: Integrity = { duplicated: 0, reordered: 0, gaps: 0, resyncs: 0 };
  private readonly seen = new Map<string, Set<string>>();

  async examinee(
    port: number,
    clientId: string,
    examId: string,
    hooks: ClientHooks,
  ): Promise<FleetClient> {
    const socket = await connect(port, clientId, 'examinee', examId, (status, at) =>
      hooks.welcome(clientId, status, at),
    );
    const ids = this.seen.get(clientId) ?? new Set<string>();
    this.seen.set(clientId, ids);
    socket.on('status_change', (frame: { id: string }) => {
      const at = performance.now();
      if (ids.has(frame.id)) this.integrity.duplicated += 1;
      ids.add(frame.id);
      hooks.change(clientId, frame.id, at);
    });
    socket.on('disconnect', (reason) => {
      if (reason !== 'io client disconnect') hooks.closed(clientId, 1006);
    });
    return { clientId, close: () => close(socket) };
  }

  async supervisor(port: number, clientId: string, examId: string): Promise<FleetSupervisor> {
    const socket = await connect(port, clientId, 'supervisor', examId, () => undefined);
    return {
      clientId,
      close: () => close(socket),
      change: (id, data) =>
        new Promise<number>((resolve, reject) => {
          socket.emit('status_change', { id, data }, (reply: Ack) => {
            if (reply.error) reject(new Error(`${id}: ${reply.error}`));
            else resolve(performance.now());
          });
        }),
    };
  }
}

/** Connects one client; resolves at its `welcome`. */
export async function connect(
  port: number,
  clientId: string,
  role: Role,
  examId: string,
  onWelcome: (status: WelcomeStatus | null, at: number) => void,
): Promise<Socket> {
  const token = await signToken(TEST_SECRET, { clientId, role, examId }, 3600);
  const socket = io(`http://127.0.0.1:${port}`, {
    transports: ['websocket'],
    auth: { token },
    reconnection: false,
    forceNew: true,
    timeout: 20_000,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect_error', (err) => reject(new Error(`${clientId}: ${err.message}`)));
    socket.once('welcome', (frame: { status: WelcomeStatus | null }) => {
      onWelcome(frame.status, performance.now());
      resolve();
    });
  });
  return socket;
}

function close(socket: Socket): Promise<void> {
  if (socket.disconnected) return Promise.resolve();
  return new Promise((resolve) => {
    socket.once('disconnect', () => resolve());
    socket.disconnect();
  });
}
