import WebSocket, { type RawData } from 'ws';
import { signToken, type Role } from '../src/protocol/index.js';
import { TEST_SECRET } from '../test/helpers/processes.js';
import type { ClientHooks, Fleet, FleetClient, FleetSupervisor, Integrity } from './fleet.js';

interface Frame {
  type?: string;
  id?: string;
  seq?: number;
  code?: string;
  data?: { status?: unknown; lastSeq?: unknown; examinees?: unknown };
}

/** exam-relay's clients: raw SPEC §5 frames, `resume` with the last seq seen on reconnect. */
export class RelayFleet implements Fleet {
  readonly name = 'exam-relay';
  readonly integrity: Integrity = { duplicated: 0, reordered: 0, gaps: 0, resyncs: 0 };
  /** Per client: the last seq seen and the ids seen, across its sockets. */
  private readonly seen = new Map<string, { lastSeq: number | undefined; ids: Set<string> }>();

  async examinee(
    port: number,
    clientId: string,
    examId: string,
    hooks: ClientHooks,
    options: { resume?: boolean } = {},
  ): Promise<FleetClient> {
    const state = this.state(clientId);
    const resume =
      options.resume && state.lastSeq !== undefined ? { lastSeq: state.lastSeq } : undefined;
    const ws = await open(port, clientId, 'examinee', examId, resume, (frame, at) => {
      if (frame.type === 'welcome') {
        const status = frame.data?.status;
        if (!resume && typeof frame.data?.lastSeq === 'number') state.lastSeq = frame.data.lastSeq;
        hooks.welcome(clientId, typeof status === 'object' ? (status as object) : null, at);
      } else if (frame.type === 'resync') {
        this.integrity.resyncs += 1;
        state.lastSeq = undefined;
      } else if (frame.type === 'status_change' && frame.id) {
        this.check(state, frame);
        hooks.change(clientId, frame.id, at);
      }
    });
    ws.on('close', (code) => {
      if (code !== 1000 && code !== 1005) hooks.closed(clientId, code);
    });
    return { clientId, close: () => close(ws) };
  }

  /** `onSnapshot` is told how many examinees the supervisor's `snapshot` listed, and when. */
  async supervisor(
    port: number,
    clientId: string,
    examId: string,
    onSnapshot?: (listed: number, at: number) => void,
  ): Promise<FleetSupervisor> {
    const pending = new Map<
      string,
      { resolve: (at: number) => void; reject: (e: Error) => void }
    >();
    const ws = await open(port, clientId, 'supervisor', examId, undefined, (frame, at) => {
      if (frame.type === 'snapshot') {
        const listed = frame.data?.examinees;
        onSnapshot?.(Array.isArray(listed) ? listed.length : 0, at);
      }
      if (!frame.id) return;
      const p = pending.get(frame.id);
      if (!p) return;
      if (frame.type === 'ack') p.resolve(at);
      else if (frame.type === 'error') p.reject(new Error(`${frame.id}: ${frame.code}`));
      else return;
      pending.delete(frame.id);
    });
    return {
      clientId,
      close: () => close(ws),
      change: (id, data) =>
        new Promise<number>((resolve, reject) => {
          pending.set(id, { resolve, reject });
          ws.send(JSON.stringify({ type: 'status_change', id, data }));
        }),
    };
  }

  private state(clientId: string) {
    let s = this.seen.get(clientId);
    if (!s) this.seen.set(clientId, (s = { lastSeq: undefined, ids: new Set() }));
    return s;
  }

  private check(state: { lastSeq: number | undefined; ids: Set<string> }, frame: Frame): void {
    const id = frame.id ?? '';
    const repeated = state.ids.has(id);
    state.ids.add(id);
    if (typeof frame.seq !== 'number') return;
    if (state.lastSeq !== undefined && frame.seq <= state.lastSeq) {
      if (repeated) this.integrity.duplicated += 1;
      else this.integrity.reordered += 1;
      return;
    }
    if (repeated) this.integrity.duplicated += 1;
    if (state.lastSeq !== undefined && frame.seq > state.lastSeq + 1) this.integrity.gaps += 1;
    state.lastSeq = frame.seq;
  }
}

async function open(
  port: number,
  clientId: string,
  role: Role,
  examId: string,
  resume: { lastSeq: number } | undefined,
  onFrame: (frame: Frame, at: number) => void,
): Promise<WebSocket> {
  const token = await signToken(TEST_SECRET, { clientId, role, examId }, 3600);
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`${clientId}: no welcome within 20 s`));
    }, 20_000);
    ws.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    ws.once('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`${clientId}: closed ${code} before welcome`));
    });
    ws.once('open', () => ws.send(JSON.stringify({ type: 'hello', token, resume })));
    ws.on('message', (data: RawData) => {
      const at = performance.now();
      // Unknown frames (snapshot, presence, …) are passed on and ignored there.
      const frame = JSON.parse(String(data)) as Frame;
      if (frame.type === 'welcome') {
        clearTimeout(timer);
        resolve();
      }
      onFrame(frame, at);
    });
  });
  ws.on('error', () => undefined);
  return ws;
}

function close(ws: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) return resolve();
    ws.once('close', () => resolve());
    ws.close();
  });
}
