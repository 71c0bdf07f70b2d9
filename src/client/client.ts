import type { Hello } from '../protocol/client-frame.js';
import { CloseCode, ErrorCode } from '../protocol/codes.js';
import type { ExamineeStatus } from '../protocol/common.js';
import { parseJson } from '../protocol/parse.js';
import { ServerFrame, type StatusChangeFrame } from '../protocol/server-frame.js';
import { backoff } from '../shared/backoff.js';
import { TypedEmitter } from './emitter.js';
import {
  ClientClosedError,
  ConnectError,
  ProtocolError,
  RequestError,
  TokenError,
} from './errors.js';
import type { ExamRelayClientEvents, WelcomeData } from './events.js';
import {
  resolveOptions,
  validMs,
  type ExamRelayClientOptions,
  type ResolvedOptions,
} from './options.js';
import { RecentIds } from './recent-ids.js';
import { randomRequestId } from './request-id.js';
import { RequestQueue, type AckData } from './request-queue.js';
import { statusChangeFrame, type StatusTarget } from './request-frame.js';
import { SeqCursor } from './seq-cursor.js';
import { fetchToken } from './token.js';
import { OPEN, closeQuietly, closedOrTimeout, type WebSocketLike } from './websocket.js';

/**
 * `idle` (not started) → `connecting` (token, socket, hello) → `open` (welcomed) →
 * `reconnecting` (waiting out the backoff) → `connecting` …; `stopped` after the server refused
 * the token (4401; `connect()` starts again); `closed` after `close()`, for good.
 */
export type ClientStatus = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'stopped' | 'closed';

export interface ChangeStatusOptions {
  /**
   * The request id (1-64 printable ASCII). Default: a random UUID. Reusing the id of an earlier
   * request never applies it twice: the server answers with that request's ack.
   */
  id?: string;
  /** Overrides the client's `requestDeadlineMs` for this request. */
  deadlineMs?: number;
}

type Timer = ReturnType<typeof setTimeout>;

/** Acked ids remembered so that the ack of a resent request is emitted once. */
const RECENT_ACKS = 1000;

/**
 * The exam-relay client (SPEC §5): keeps one connection to one of `urls`, resumes from the last
 * seq it saw after every reconnect, emits each status change once and in seq order, and sends
 * supervisors' status changes until they are acked, always with the same id.
 */
export class ExamRelayClient extends TypedEmitter<ExamRelayClientEvents> {
  private readonly options: ResolvedOptions;
  private readonly requests: RequestQueue;
  private state: ClientStatus = 'idle';
  private readonly cursor: SeqCursor;
  private urlIndex = 0;
  /** Failed or short-lived connections in a row: the backoff exponent. */
  private failures = 0;
  private welcomedAt = 0;
  /** Bumped whenever the current socket is given up, so its late events are ignored. */
  private generation = 0;
  private socket: WebSocketLike | undefined;
  private url: string;
  private session: WelcomeData | undefined;
  private connectTimer: Timer | undefined;
  private reconnectTimer: Timer | undefined;
  private waiters: { resolve(data: WelcomeData): void; reject(error: Error): void }[] = [];
  private readonly recentAcks = new RecentIds(RECENT_ACKS);

  constructor(options: ExamRelayClientOptions) {
    super();
    this.options = resolveOptions(options);
    this.cursor = new SeqCursor(this.options.lastSeq, this.options.epoch);
    this.url = this.options.urls[0] ?? '';
    this.requests = new RequestQueue({
      send: (text) => this.send(text),
      requestTimeoutMs: this.options.requestTimeoutMs,
      retryDelay: (attempt) => this.backoff(attempt),
    });
  }

  get status(): ClientStatus {
    return this.state;
  }

  /** The delay before retry `attempt`: full jitter with no floor, from `options.backoff`. */
  private backoff(attempt: number): number {
    const { baseMs, capMs } = this.options.backoff;
    return backoff(attempt, { base: baseMs, cap: capMs, min: 0, random: this.options.random });
  }

  /** The seq of the last status change emitted (or resynced past); persist it to resume. */
  get lastSeq(): number {
    return this.cursor.value;
  }

  /** The epoch `lastSeq` counts in; persist it with `lastSeq` to resume. */
  get epoch(): string | undefined {
    return this.cursor.epoch;
  }

  /** The current connection's welcome, while `open`. */
  get welcome(): WelcomeData | undefined {
    return this.session;
  }

  /** Requests sent or queued and not yet settled. */
  get pendingRequests(): number {
    return this.requests.size;
  }

  /**
   * Starts connecting (if not already) and resolves with the first welcome. Rejects if the
   * server refuses the token or the client is closed first; otherwise it keeps trying.
   */
  connect(): Promise<WelcomeData> {
    if (this.state === 'closed') return Promise.reject(new ClientClosedError());
    if (this.state === 'open' && this.session) return Promise.resolve(this.session);
    const welcomed = new Promise<WelcomeData>((resolve, reject) =>
      this.waiters.push({ resolve, reject }),
    );
    if (this.state === 'idle' || this.state === 'stopped') {
      this.failures = 0;
      void this.open();
    }
    return welcomed;
  }

  /**
   * Asks the server to change an examinee's (or a whole exam's) status and resolves with the
   * ack. Rejects with `RequestError` on an `error` frame for the id (code from the protocol's
   * table), except `UNAVAILABLE`, which is retried; with `RequestTimeoutError` past the deadline;
   * with `ClientClosedError` on `close()`. Unanswered attempts and reconnects resend the same
   * id, so the change is applied at most once; the promise settles once.
   */
  changeStatus(
    target: StatusTarget,
    status: ExamineeStatus,
    options: ChangeStatusOptions = {},
  ): Promise<AckData> {
    if (this.state === 'closed') return Promise.reject(new ClientClosedError());
    if (this.state === 'stopped') {
      return Promise.reject(new RequestError('UNAUTHORIZED', ErrorCode.UNAUTHORIZED, options.id));
    }
    const { deadlineMs = this.options.requestDeadlineMs } = options;
    if (!validMs(deadlineMs)) {
      return Promise.reject(new TypeError(`deadlineMs: must be in (0, 2^31-1], got ${deadlineMs}`));
    }
    const id = options.id ?? randomRequestId();
    const frame = statusChangeFrame(target, status, id);
    if (!frame.ok) {
      const message = `${ErrorCode.INVALID_MESSAGE}: ${frame.error}`;
      return Promise.reject(new RequestError('INVALID_MESSAGE', message, id));
    }
    return this.requests.add(frame.value, deadlineMs);
  }

  /** Closes the connection, stops reconnecting and rejects pending requests. Idempotent. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    const { socket, url } = this;
    this.generation += 1;
    clearTimeout(this.connectTimer);
    clearTimeout(this.reconnectTimer);
    this.socket = undefined;
    this.session = undefined;
    this.setStatus('closed');
    const closed = socket && closedOrTimeout(socket);
    if (socket) closeQuietly(socket);
    const error = new ClientClosedError();
    this.requests.rejectAll(error);
    this.rejectWaiters(error);
    if (socket) this.emit('disconnected', { url, reason: 'client closed', willReconnect: false });
    await closed;
  }

  private async open(): Promise<void> {
    const generation = ++this.generation;
    const url = this.options.urls[this.urlIndex] ?? this.url;
    this.url = url;
    this.setStatus('connecting');
    const { connectTimeoutMs } = this.options;
    this.connectTimer = setTimeout(
      () => this.lost(generation, undefined, `no welcome within ${connectTimeoutMs} ms`),
      connectTimeoutMs,
    );
    let token: string;
    try {
      token = await fetchToken(this.options.token);
    } catch (err) {
      if (generation !== this.generation) return;
      this.emit('error', err instanceof TokenError ? err : new TokenError(String(err), err));
      return this.lost(generation, undefined, 'no token');
    }
    if (generation !== this.generation) return; // closed or timed out while the token came
    let socket: WebSocketLike;
    try {
      socket = new this.options.WebSocket(url);
    } catch (err) {
      this.emit('error', new ConnectError(url, err));
      return this.lost(generation, undefined, 'cannot create the WebSocket');
    }
    this.socket = socket;
    socket.addEventListener('open', () => {
      if (generation !== this.generation) return;
      const epoch = this.cursor.epoch;
      const hello: Hello = {
        type: 'hello',
        token,
        resume: { lastSeq: this.cursor.value, ...(epoch !== undefined ? { epoch } : {}) },
      };
      socket.send(JSON.stringify(hello));
    });
    socket.addEventListener('message', (event) => this.receive(generation, event.data));
    socket.addEventListener('close', (event) => this.lost(generation, event.code, event.reason));
    // Every error is followed by a close event, handled above. A listener must exist anyway:
    // `ws` throws an 'error' event that nobody listens to.
    socket.addEventListener('error', () => undefined);
  }

  /**
   * The socket closed or the client gave up on it. A 4401 stops the client; anything else moves
   * on to the next URL after a jittered backoff, keeping pending requests for the next welcome.
   */
  private lost(generation: number, code: number | undefined, reason: string): void {
    if (generation !== this.generation) return;
    this.generation += 1;
    const { socket, url, session } = this;
    // Only a connection that lasted capMs starts the backoff over: a server that welcomes and
    // then drops at once (1013 while its broker is down) is retried no faster than the cap.
    if (session && Date.now() - this.welcomedAt >= this.options.backoff.capMs) this.failures = 0;
    this.socket = undefined;
    this.session = undefined;
    clearTimeout(this.connectTimer);
    if (socket) closeQuietly(socket);
    this.requests.pause();
    if (code === CloseCode.UNAUTHORIZED) {
      this.setStatus('stopped');
      const error = new RequestError('UNAUTHORIZED', ErrorCode.UNAUTHORIZED, undefined);
      this.requests.rejectAll(error);
      this.rejectWaiters(error);
      this.emit('disconnected', { url, code, reason, willReconnect: false });
      this.emit('unauthorized', { url, reason });
      return;
    }
    this.urlIndex = (this.urlIndex + 1) % this.options.urls.length;
    const delayMs = this.backoff(this.failures++);
    this.setStatus('reconnecting');
    const next = this.generation;
    this.reconnectTimer = setTimeout(() => {
      if (next === this.generation) void this.open();
    }, delayMs);
    this.emit('disconnected', {
      url,
      ...(code !== undefined ? { code } : {}),
      reason,
      willReconnect: true,
      delayMs,
    });
  }

  private receive(generation: number, data: unknown): void {
    if (generation !== this.generation) return;
    if (typeof data !== 'string') {
      this.emit('error', new ProtocolError(`${this.url} sent a binary frame; ignored`));
      return;
    }
    const parsed = parseJson(ServerFrame, data);
    if (!parsed.ok) {
      this.emit('error', new ProtocolError(`${this.url} sent an invalid frame: ${parsed.error}`));
      return;
    }
    const frame = parsed.value;
    switch (frame.type) {
      case 'welcome':
        return this.welcomed(generation, frame.data);
      case 'status_change':
        return this.statusChange(generation, frame);
      case 'ack': {
        const settled = this.requests.ack(frame.id, frame.data);
        // A resent request is acked once per copy the server got; report the ack once.
        if (settled || !this.recentAcks.has(frame.id)) {
          this.recentAcks.add(frame.id);
          this.emit('ack', { id: frame.id, data: frame.data });
        }
        return;
      }
      case 'error': {
        const { id, code, message } = frame;
        if (id !== undefined && this.requests.has(id)) {
          // UNAVAILABLE: the broker or Redis is down and nothing was applied; same id later.
          if (code === 'UNAVAILABLE') this.requests.unavailable(id);
          else this.requests.fail(id, new RequestError(code, message, id));
          return;
        }
        this.emit('error', new RequestError(code, message, id));
        return;
      }
      case 'presence':
        this.emit('presence', frame.data);
        return;
      case 'resync':
        this.cursor.skipTo(frame.data.toSeq, frame.data.epoch);
        this.emit('resync', { fromSeq: frame.data.fromSeq, toSeq: frame.data.toSeq });
        return;
      case 'snapshot':
        this.emit('snapshot', frame.data);
        return;
      case 'reconnect':
        // The server is draining and closes with 1001 next; go on to the next URL now.
        return this.lost(generation, CloseCode.GOING_AWAY, frame.data.reason);
    }
  }

  private welcomed(generation: number, data: WelcomeData): void {
    if (this.session) {
      this.emit('error', new ProtocolError(`${this.url} sent a second welcome; ignored`));
      return;
    }
    clearTimeout(this.connectTimer);
    this.session = data;
    this.setStatus('open');
    this.welcomedAt = Date.now();
    const resync = this.cursor.welcome(data.lastSeq, data.epoch);
    this.emit('welcome', data);
    if (generation !== this.generation) return; // a listener closed the client
    if (resync) {
      this.emit('resync', resync);
      if (generation !== this.generation) return;
    }
    this.requests.flush();
    this.emit('connected', { url: this.url, serverId: data.serverId, lastSeq: data.lastSeq });
    if (generation !== this.generation) return;
    const waiters = this.waiters.splice(0);
    for (const waiter of waiters) waiter.resolve(data);
  }

  private statusChange(generation: number, frame: StatusChangeFrame): void {
    const expected = this.cursor.value + 1;
    const verdict = this.cursor.offer(frame.seq);
    // Already emitted: a replay overlapping what came live, or a redelivered frame.
    if (verdict === 'duplicate') return;
    if (verdict === 'gap') {
      // Resuming from our seq makes the server replay the gap from history in order, which
      // keeps every change exactly once; emitting this frame would skip the missing ones.
      this.emit('error', new ProtocolError(`seq gap: expected ${expected}, got ${frame.seq}`));
      return this.lost(generation, undefined, 'seq gap');
    }
    this.emit('statusChange', { seq: frame.seq, id: frame.id, data: frame.data });
  }

  private send(text: string): boolean {
    const { socket } = this;
    if (this.state !== 'open' || !socket || socket.readyState !== OPEN) return false;
    try {
      socket.send(text);
      return true;
    } catch {
      return false; // closing underneath us: the close event follows and requests wait
    }
  }

  /** The one place the state changes (see `ClientStatus` for the transitions). */
  private setStatus(next: ClientStatus): void {
    const previous = this.state;
    if (previous === next) return;
    this.state = next;
    this.emit('status', { previous, status: next });
  }

  private rejectWaiters(error: Error): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }
}
