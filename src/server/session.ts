import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { Logger } from '../shared/logger.js';
import { CloseCode, ErrorCode, type Identity, type ServerFrame } from '../protocol/index.js';
import type { OrderedDelivery } from './ordered-delivery.js';
import type { ServerMetrics } from './metrics.js';
import type { TokenBucket } from './rate-limit.js';

/** Rate-limit refusals are counted over this window. */
const ABUSE_WINDOW_MS = 10_000;

/** How long a closing peer gets to answer the close before its socket is destroyed. */
const CLOSE_GRACE_MS = 2000;

/** Send buffer past which a client counts as a slow reader and is dropped. */
const SLOW_READER_BYTES = 4 * 1024 * 1024;

/** One authenticated WebSocket connection. */
export class Session {
  readonly connId = randomUUID();
  readonly connectedAt = new Date().toISOString();
  delivery: OrderedDelivery | undefined;
  private limited = 0;
  private windowStart = 0;

  constructor(
    readonly ws: WebSocket,
    readonly identity: Identity,
    readonly log: Logger,
    private readonly metrics: ServerMetrics,
    private readonly bucket: TokenBucket,
    /** Rate-limited frames in a row after which the connection is closed. */
    private readonly maxViolations: number,
  ) {}

  get clientId(): string {
    return this.identity.clientId;
  }

  get open(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  /** Sends JSON text; drops the connection if the client is not reading. */
  sendText(text: string, type: ServerFrame['type']): void {
    if (!this.open) return;
    if (this.ws.bufferedAmount > SLOW_READER_BYTES) {
      this.log.warn({ buffered: this.ws.bufferedAmount }, 'slow reader dropped');
      this.close(CloseCode.SLOW_CONSUMER, 'slow consumer');
      return;
    }
    this.ws.send(text);
    this.metrics.framesOut.inc({ type });
  }

  send(frame: ServerFrame): void {
    this.sendText(JSON.stringify(frame), frame.type);
  }

  error(code: ErrorCode, id?: string, detail?: string): void {
    const message = detail ? `${ErrorCode[code]}: ${detail}` : ErrorCode[code];
    this.send({ type: 'error', ...(id !== undefined ? { id } : {}), code, message });
  }

  /**
   * Takes a rate-limit token. Refusals are counted over a window of ABUSE_WINDOW_MS (not only
   * in a row, so a client that keeps sending at twice the rate is caught too); at the Nth the
   * connection is closed. `id` is read only for a refusal.
   */
  allow(id?: string | (() => string | undefined)): boolean {
    if (this.bucket.take()) return true;
    const now = performance.now();
    if (now - this.windowStart > ABUSE_WINDOW_MS) {
      this.windowStart = now;
      this.limited = 0;
    }
    this.limited += 1;
    if (this.limited >= this.maxViolations) {
      this.log.warn('rate limit exceeded persistently; closing');
      this.close(CloseCode.RATE_LIMITED, 'rate limited');
    } else {
      this.error('RATE_LIMITED', typeof id === 'function' ? id() : id);
    }
    return false;
  }

  close(code: number, reason: string): void {
    this.delivery?.close();
    if (this.ws.readyState === this.ws.CLOSED || this.ws.readyState === this.ws.CLOSING) return;
    this.metrics.closes.inc({ code: String(code) });
    this.ws.close(code, reason);
    // A peer that never answers the close (a slow reader's buffer is still in the way) would
    // hold the socket for ws's 30 s close timeout.
    setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS).unref();
  }
}

/** The sessions of this server, by client id (a client may hold several sockets). */
export class SessionRegistry {
  private readonly byClient = new Map<string, Session[]>();
  size = 0;

  add(session: Session): void {
    const list = this.byClient.get(session.clientId) ?? [];
    list.push(session);
    this.byClient.set(session.clientId, list);
    this.size += 1;
  }

  /** Removes a session; returns the client's remaining sessions here. */
  remove(session: Session): Session[] {
    const list = this.byClient.get(session.clientId) ?? [];
    const rest = list.filter((s) => s !== session);
    if (rest.length !== list.length) this.size -= 1;
    if (rest.length > 0) this.byClient.set(session.clientId, rest);
    else this.byClient.delete(session.clientId);
    return rest;
  }

  of(clientId: string): readonly Session[] {
    return this.byClient.get(clientId) ?? [];
  }

  clientIds(): string[] {
    return [...this.byClient.keys()];
  }

  all(): Session[] {
    return [...this.byClient.values()].flat();
  }
}
