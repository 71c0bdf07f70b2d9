import WebSocket, { type RawData } from 'ws';
import type { Redis } from 'ioredis';
import { signToken, type Role } from '../src/protocol/index.js';
import { createRedisKeys } from '../src/shared/redis/keys.js';
import { TEST_SECRET } from '../test/helpers/processes.js';
import { sleep } from './stats.js';
import type { Target, TargetEvents } from './target.js';

const STATUSES = ['STARTED', 'PAUSED', 'RESUMED'] as const;
const EXAM = 'EXAM1';

/** One logged-in client socket. Frames are looked at as little as the benchmark needs. */
class BenchSocket {
  constructor(
    readonly clientId: string,
    readonly ws: WebSocket,
  ) {}

  static async login(
    port: number,
    clientId: string,
    role: Role,
    examId = EXAM,
  ): Promise<BenchSocket> {
    const token = await signToken(TEST_SECRET, { clientId, role, examId }, 3600);
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      ws.once('error', reject);
      ws.once('open', () => {
        ws.send(JSON.stringify({ type: 'hello', token }));
        ws.once('message', (data: RawData) => {
          const frame = JSON.parse(text(data)) as { type?: string };
          if (frame.type === 'welcome') resolve();
          else reject(new Error(`${clientId}: expected welcome, got ${text(data)}`));
        });
      });
      ws.once('close', (code) => reject(new Error(`${clientId}: closed ${code} before welcome`)));
    });
    ws.on('error', () => undefined);
    return new BenchSocket(clientId, ws);
  }
}

function text(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

/**
 * exam-relay driven over WebSockets: examinees on one server, supervisors on another. Change
 * `i` is sent by supervisor `i mod S` to examinee `i mod E`. It is acked when the supervisor
 * gets `ack` with its id, delivered when the examinee gets `status_change` with its id.
 */
export class RelayTarget implements Target {
  readonly name = 'exam-relay';
  readonly acks = true;
  private events: TargetEvents | undefined;
  private readonly examinees: BenchSocket[] = [];
  private readonly supervisors: BenchSocket[] = [];
  /** Frames of each kind the bench received, to show the fan-out each change causes. */
  readonly framesIn = { examinee: 0, supervisor: 0 };
  /** Seq checks of the examinees' `status_change` frames (zero expected). */
  readonly integrity = { duplicated: 0, reordered: 0, gaps: 0 };
  private readonly unexpected = new Map<number, number>();

  listen(events: TargetEvents): void {
    this.events = events;
  }

  /**
   * Connects and closes one client of another exam on each server, so that code paths run for
   * the first time (token checks, JIT) are not counted as memory of the measured connections.
   */
  static async warmUp(ports: number[]): Promise<void> {
    for (const port of ports) {
      const s = await BenchSocket.login(port, `W${port}`, 'supervisor', 'WARMUP');
      await new Promise<void>((resolve) => {
        s.ws.once('close', () => resolve());
        s.ws.close();
      });
    }
  }

  /** Logs everyone in (a few at a time) and waits until the state manager routed them all. */
  async connect(options: {
    examineePort: number;
    supervisorPort: number;
    examinees: number;
    supervisors: number;
    namespace: string;
    redis: Redis;
  }): Promise<void> {
    const ids = (prefix: string, n: number) =>
      Array.from({ length: n }, (_, i) => `${prefix}${String(i + 1).padStart(4, '0')}`);
    const supervisorIds = ids('S', options.supervisors);
    const examineeIds = ids('E', options.examinees);
    for (const batch of chunks(supervisorIds, 20)) {
      const sockets = await Promise.all(
        batch.map((id) => BenchSocket.login(options.supervisorPort, id, 'supervisor')),
      );
      for (const s of sockets) this.watchSupervisor(s);
      this.supervisors.push(...sockets);
    }
    for (const batch of chunks(examineeIds, 20)) {
      const sockets = await Promise.all(
        batch.map((id) => BenchSocket.login(options.examineePort, id, 'examinee')),
      );
      for (const s of sockets) this.watchExaminee(s);
      this.examinees.push(...sockets);
    }
    const keys = createRedisKeys(options.namespace);
    const all = [...supervisorIds, ...examineeIds];
    const deadline = Date.now() + 30_000;
    for (;;) {
      const pipeline = options.redis.pipeline();
      for (const id of all) pipeline.hget(keys.clientRoute(id), 'serverId');
      const routes = (await pipeline.exec()) ?? [];
      const missing = routes.filter(([err, v]) => err !== null || typeof v !== 'string').length;
      if (missing === 0) return;
      if (Date.now() > deadline) throw new Error(`${missing} clients not routed after 30 s`);
      await sleep(100);
    }
  }

  send(id: string, index: number): void {
    const supervisor = this.supervisors[index % this.supervisors.length];
    const examinee = this.examinees[index % this.examinees.length];
    if (!supervisor || !examinee) throw new Error('not connected');
    supervisor.ws.send(
      JSON.stringify({
        type: 'status_change',
        id,
        data: {
          targetExamineeId: examinee.clientId,
          status: STATUSES[index % STATUSES.length],
        },
      }),
    );
  }

  /** Close codes seen on sockets that should have stayed open. */
  unexpectedCloses(): Record<string, number> {
    return Object.fromEntries(this.unexpected);
  }

  count(): number {
    return this.examinees.length + this.supervisors.length;
  }

  async close(): Promise<void> {
    const all = [...this.examinees, ...this.supervisors];
    await Promise.all(
      all.map(
        (s) =>
          new Promise<void>((resolve) => {
            if (s.ws.readyState === WebSocket.CLOSED) return resolve();
            s.ws.once('close', () => resolve());
            s.ws.close();
          }),
      ),
    );
    this.examinees.length = 0;
    this.supervisors.length = 0;
  }

  private watchSupervisor(s: BenchSocket): void {
    this.watchClose(s);
    s.ws.on('message', (data: RawData) => {
      const at = performance.now();
      this.framesIn.supervisor += 1;
      const body = text(data);
      // Every supervisor gets every change of the exam: skip those without parsing them.
      if (body.startsWith('{"type":"status_change"') || body.startsWith('{"type":"presence"'))
        return;
      const frame = JSON.parse(body) as { type?: string; id?: string; code?: string };
      if (frame.type === 'ack' && frame.id) this.events?.ack(frame.id, at);
      else if (frame.type === 'error' && frame.id)
        this.events?.failed(frame.id, frame.code ?? 'error');
    });
  }

  private watchExaminee(s: BenchSocket): void {
    this.watchClose(s);
    let lastSeq: number | undefined;
    const ids = new Set<string>();
    s.ws.on('message', (data: RawData) => {
      const at = performance.now();
      this.framesIn.examinee += 1;
      const frame = JSON.parse(text(data)) as { type?: string; id?: string; seq?: number };
      if (frame.type !== 'status_change' || !frame.id) return;
      const repeated = ids.has(frame.id);
      ids.add(frame.id);
      if (typeof frame.seq === 'number') {
        if (lastSeq !== undefined && frame.seq <= lastSeq) {
          if (repeated) this.integrity.duplicated += 1;
          else this.integrity.reordered += 1;
        } else {
          if (repeated) this.integrity.duplicated += 1;
          if (lastSeq !== undefined && frame.seq > lastSeq + 1) this.integrity.gaps += 1;
          lastSeq = frame.seq;
        }
      }
      this.events?.delivered(frame.id, at);
    });
  }

  private watchClose(s: BenchSocket): void {
    s.ws.on('close', (code) => {
      if (code === 1000 || code === 1005) return; // our own close()
      this.unexpected.set(code, (this.unexpected.get(code) ?? 0) + 1);
    });
  }
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
