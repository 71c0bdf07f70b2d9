import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { Logger } from '../shared/logger.js';
import {
  CloseCode,
  ErrorCode,
  type Identity,
  type Role,
  type ServerFrame,
} from '../protocol/index.js';
import { OrderedDelivery, type DeliverySink, type FrameText } from './ordered-delivery.js';
import type { History, HistoryFrame } from './history.js';
import type { ServerMetrics } from './metrics.js';
import type { TokenBucket } from './rate-limit.js';
import { holdWritesUntilTickEnd } from './tick-writes.js';

/** Rate-limit refusals are counted over this window. */
const ABUSE_WINDOW_MS = 10_000;

/** How long a closing peer gets to answer the close before its socket is destroyed. */
const CLOSE_GRACE_MS = 2000;

/** Send buffer past which a client counts as a slow reader and is dropped. */
const SLOW_READER_BYTES = 4 * 1024 * 1024;

/** What every session of a server shares: one object, not a copy per socket. */
export interface SessionShared {
  /** The server's logger; each session's child of it is made when first used. */
  log: Logger;
  metrics: ServerMetrics;
  history: Pick<History, 'after' | 'snapshot' | 'welcome'>;
  /** Rate-limited frames in a row after which the connection is closed. */
  maxViolations: number;
}

/**
 * One authenticated WebSocket connection, and the sink of its ordered `status_change`
 * stream (history reads, resync, rebase). Methods, not closures: a server holds thousands.
 */
export class Session implements DeliverySink {
  readonly connectedAt = new Date().toISOString();
  readonly delivery: OrderedDelivery;
  private logger: Logger | undefined;
  private limited = 0;
  private windowStart = 0;

  constructor(
    readonly ws: WebSocket,
    readonly identity: Identity,
    private readonly shared: SessionShared,
    private readonly bucket: TokenBucket,
    /** Where its stream starts: the last seq the client has, in numbering `epoch`. */
    start: { cursor: number; epoch: string },
    /** The socket under `ws`, whose writes of one tick are sent together. */
    private readonly socket?: Duplex,
  ) {
    this.delivery = new OrderedDelivery(this, start.cursor, start.epoch);
  }

  get clientId(): string {
    return this.identity.clientId;
  }

  /** The session's logger (clientId, role), made on first use: most sessions never log. */
  get log(): Logger {
    this.logger ??= this.shared.log.child({
      clientId: this.identity.clientId,
      role: this.identity.role,
    });
    return this.logger;
  }

  get open(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  /** Sends JSON text (or its bytes); drops the connection if the client is not reading. */
  sendText(text: FrameText, type: ServerFrame['type']): void {
    if (!this.open) return;
    if (this.ws.bufferedAmount > SLOW_READER_BYTES) {
      this.log.warn({ buffered: this.ws.bufferedAmount }, 'slow reader dropped');
      this.close(CloseCode.SLOW_CONSUMER, 'slow consumer');
      return;
    }
    if (this.socket) holdWritesUntilTickEnd(this.socket);
    // A text frame either way: bytes shared by many sockets go out as they are, uncopied.
    this.ws.send(text, { binary: false });
    this.shared.metrics.frameSent(type);
  }

  send(frame: ServerFrame): void {
    this.sendText(JSON.stringify(frame), frame.type);
  }

  error(code: ErrorCode, id?: string, detail?: string): void {
    const message = detail ? `${ErrorCode[code]}: ${detail}` : ErrorCode[code];
    this.send({ type: 'error', id, code, message });
  }

  /** Sends the client a fresh `snapshot` of its exam. */
  sendSnapshot(): Promise<void> {
    return this.shared.history.snapshot(this.identity).then(
      (data) => this.send({ type: 'snapshot', data }),
      (err: unknown) => this.log.warn({ err }, 'snapshot not read'),
    );
  }

  /** DeliverySink: the client's stored frames after `afterSeq`. */
  read(afterSeq: number): Promise<HistoryFrame[]> {
    return this.shared.history.after(this.identity, afterSeq);
  }

  /** DeliverySink: a frame of the client's stream, in order. */
  sendFrame(text: FrameText, replayed: boolean): void {
    this.sendText(text, 'status_change');
    if (replayed) this.shared.metrics.replayed.inc();
  }

  /** DeliverySink: history cannot cover (fromSeq, toSeq]; the client gets fresh state. */
  resync(fromSeq: number, toSeq: number): void {
    this.send({ type: 'resync', data: { fromSeq, toSeq } });
    void this.sendSnapshot();
  }

  /** DeliverySink: the numbering changed; resync and snapshot in the new one. */
  async rebase(epoch: string): Promise<number> {
    // The seq first, then the snapshot: a change in between is in both, never in neither.
    const now = await this.shared.history.welcome(this.identity);
    const fromSeq = this.delivery.cursor;
    this.send({ type: 'resync', data: { fromSeq, toSeq: now.seq, epoch: now.epoch } });
    await this.sendSnapshot();
    return now.epoch === epoch ? now.seq : 0;
  }

  /**
   * Takes a rate-limit token. Refusals are counted over a window of ABUSE_WINDOW_MS (not only
   * in a row, so a client that keeps sending at twice the rate is caught too); at the Nth the
   * connection is closed. `id` is read only for a refusal.
   */
  allow(id?: string | (() => string | undefined)): boolean {
    if (this.bucket.take()) return true;
    const now = this.bucket.now();
    if (now - this.windowStart > ABUSE_WINDOW_MS) {
      this.windowStart = now;
      this.limited = 0;
    }
    this.limited += 1;
    if (this.limited >= this.shared.maxViolations) {
      this.log.warn('rate limit exceeded persistently; closing');
      this.close(CloseCode.RATE_LIMITED, 'rate limited');
    } else {
      this.error('RATE_LIMITED', typeof id === 'function' ? id() : id);
    }
    return false;
  }

  close(code: number, reason: string): void {
    this.delivery.close();
    if (this.ws.readyState === this.ws.CLOSED || this.ws.readyState === this.ws.CLOSING) return;
    this.shared.metrics.closes.inc({ code: String(code) });
    this.ws.close(code, reason);
    // A peer that never answers the close (a slow reader's buffer is still in the way) would
    // hold the socket for ws's 30 s close timeout.
    setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS).unref();
  }
}

/** A client's presence on this server: one connection id while it holds any socket here. */
export interface Link {
  connId: string;
  sessions: Session[];
}

/**
 * The sessions of this server, by client id (a client may hold several sockets) and, for
 * supervisors, by exam. Each client with sockets here has one `Link`, which is what the
 * state manager registers: a connect when its first socket opens, a disconnect after its last.
 */
export class SessionRegistry {
  private readonly links = new Map<string, Link>();
  private readonly supervisors = new Map<string, Set<Session>>();
  size = 0;

  /** Adds a session; `first` when it opened the client's link here. */
  add(session: Session): { first: boolean; connId: string } {
    let link = this.links.get(session.clientId);
    const first = link === undefined;
    link ??= { connId: randomUUID(), sessions: [] };
    link.sessions.push(session);
    this.links.set(session.clientId, link);
    if (session.identity.role === 'supervisor') {
      const exam = this.supervisors.get(session.identity.examId) ?? new Set();
      exam.add(session);
      this.supervisors.set(session.identity.examId, exam);
    }
    this.size += 1;
    return { first, connId: link.connId };
  }

  /** Removes a session; `last` when it closed the client's link here. */
  remove(session: Session): { last: boolean; connId: string } | undefined {
    const link = this.links.get(session.clientId);
    if (!link || !link.sessions.includes(session)) return undefined;
    link.sessions = link.sessions.filter((s) => s !== session);
    this.size -= 1;
    const exam = this.supervisors.get(session.identity.examId);
    if (exam?.delete(session) && exam.size === 0) this.supervisors.delete(session.identity.examId);
    const last = link.sessions.length === 0;
    if (last) this.links.delete(session.clientId);
    return { last, connId: link.connId };
  }

  of(clientId: string): readonly Session[] {
    return this.links.get(clientId)?.sessions ?? [];
  }

  /** The supervisors of an exam connected here. */
  supervisorsOf(examId: string): Iterable<Session> {
    return this.supervisors.get(examId) ?? [];
  }

  clientIds(): string[] {
    return [...this.links.keys()];
  }

  /** Every client's link here, with its identity, as heartbeats report them. */
  connections(): { clientId: string; role: Role; examId: string; connId: string }[] {
    return [...this.links].flatMap(([clientId, link]) => {
      const identity = link.sessions[0]?.identity;
      return identity
        ? [{ clientId, role: identity.role, examId: identity.examId, connId: link.connId }]
        : [];
    });
  }

  all(): Session[] {
    return [...this.links.values()].flatMap((l) => l.sessions);
  }
}
