import type { Socket } from 'socket.io-client';
import { connect } from './sio-fleet.js';
import type { Target, TargetEvents } from './target.js';

const STATUSES = ['STARTED', 'PAUSED', 'RESUMED'] as const;
const EXAM = 'EXAM1';

/**
 * The Socket.IO peer under the same targeted load as exam-relay: examinees on the first
 * server, supervisors on the second, change `i` sent by supervisor `i mod S` to examinee
 * `i mod E`; acked by the callback, delivered when the examinee gets `status_change`.
 */
export class SioTarget implements Target {
  readonly name = 'socket.io';
  readonly acks = true;
  private events: TargetEvents | undefined;
  private readonly examinees: { id: string; socket: Socket }[] = [];
  private readonly supervisors: Socket[] = [];
  /** Deliveries of an id already delivered to that examinee (zero expected). */
  duplicated = 0;
  private readonly delivered = new Set<string>();

  listen(events: TargetEvents): void {
    this.events = events;
  }

  async connect(options: {
    examineePort: number;
    supervisorPort: number;
    examinees: number;
    supervisors: number;
  }): Promise<void> {
    for (let i = 1; i <= options.supervisors; i++) {
      const id = `S${String(i).padStart(4, '0')}`;
      this.supervisors.push(
        await connect(options.supervisorPort, id, 'supervisor', EXAM, () => undefined),
      );
    }
    for (let i = 1; i <= options.examinees; i++) {
      const id = `E${String(i).padStart(4, '0')}`;
      const socket = await connect(options.examineePort, id, 'examinee', EXAM, () => undefined);
      socket.on('status_change', (frame: { id: string }) => {
        const at = performance.now();
        const key = `${id} ${frame.id}`;
        if (this.delivered.has(key)) this.duplicated += 1;
        this.delivered.add(key);
        this.events?.delivered(frame.id, at);
      });
      this.examinees.push({ id, socket });
    }
  }

  send(id: string, index: number): void {
    const supervisor = this.supervisors[index % this.supervisors.length];
    const examinee = this.examinees[index % this.examinees.length];
    if (!supervisor || !examinee) throw new Error('not connected');
    supervisor.emit(
      'status_change',
      { id, data: { targetExamineeId: examinee.id, status: STATUSES[index % STATUSES.length] } },
      (reply: { id: string; error?: string }) => {
        const at = performance.now();
        if (reply.error) this.events?.failed(id, reply.error);
        else this.events?.ack(id, at);
      },
    );
  }

  close(): void {
    for (const s of [...this.supervisors, ...this.examinees.map((e) => e.socket)]) s.disconnect();
    this.supervisors.length = 0;
    this.examinees.length = 0;
    this.delivered.clear();
  }
}
