import type { Duplex } from 'node:stream';
import type { RawData, WebSocket } from 'ws';
import {
  ClientFrame,
  CloseCode,
  parseJson,
  verifyToken,
  type Hello,
  type Identity,
  type StatusChangeRequest,
} from '../protocol/index.js';
import { UnavailableError } from '../shared/errors.js';
import type { SocketServerConfig } from './config.js';
import { Session, type SessionRegistry, type SessionShared } from './session.js';
import type { History, WelcomeState } from './history.js';
import { linkCommand, statusChangeCommand } from './commands.js';
import { TokenBucket } from './rate-limit.js';
import type { StatusQueueCommand } from './status-publisher.js';

type Resume = NonNullable<Hello['resume']>;

/** Frames a client may send between hello and welcome; more is abuse. */
const MAX_EARLY_FRAMES = 16;

/** A server's side of its sockets: one object for all of them, which their sessions share. */
export interface SocketContext extends SessionShared {
  config: SocketServerConfig;
  /** `config.authSecret` encoded for token checks. */
  authKey: Uint8Array;
  sessions: SessionRegistry;
  history: History;
  /** The clock of the sockets' rate limits, in ms (default: the buckets' own, `performance.now`). */
  clock?: () => number;
  publish(message: StatusQueueCommand): Promise<void>;
  /** Called once when an authenticated session's socket closes. */
  onEnd(session: Session): void;
}

/**
 * A server's socket context, with what follows from its config worked out once, not per
 * socket: the encoded auth key and the rate-limit refusals that close a connection.
 */
export function socketContext(
  parts: Omit<SocketContext, 'authKey' | 'maxViolations'>,
): SocketContext {
  const { config } = parts;
  return {
    authKey: new TextEncoder().encode(config.authSecret),
    maxViolations: Math.max(10, config.rateLimitBurst),
    ...parts,
  };
}

/**
 * One socket's protocol: `hello` first (within the timeout) with a valid token, else 4401;
 * then `status_change` requests from supervisors. A bad frame gets an error and the socket
 * stays usable.
 */
export function handleSocket(ws: WebSocket, ctx: SocketContext, socket?: Duplex): void {
  new SocketProtocol(ws, ctx, socket).listen();
}

/**
 * The protocol state of one socket. A class, so a server's thousands of sockets share its
 * methods instead of each holding a set of closures.
 */
class SocketProtocol {
  private session: Session | undefined;
  private authenticating = false;
  /** Frames sent right after hello, kept for after the welcome. */
  private early: (string | undefined)[] | undefined;
  private helloTimer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ws: WebSocket,
    private readonly ctx: SocketContext,
    private readonly socket: Duplex | undefined,
  ) {}

  listen(): void {
    const { ws, ctx } = this;
    this.helloTimer = setTimeout(
      () => this.close(CloseCode.UNAUTHORIZED, 'hello timeout'),
      ctx.config.helloTimeoutMs ?? 10_000,
    );
    ws.on('error', (err) => ctx.log.debug({ err }, 'socket error'));
    ws.on('close', () => this.closed());
    ws.on('message', (data: RawData, isBinary: boolean) => this.message(data, isBinary));
  }

  private close(code: number, reason: string): void {
    const { ws } = this;
    this.ctx.metrics.closes.inc({ code: String(code) });
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason);
  }

  private closed(): void {
    clearTimeout(this.helloTimer);
    clearTimeout(this.expiryTimer);
    if (this.session) {
      this.session.delivery.close();
      this.ctx.onEnd(this.session);
    }
  }

  private message(data: RawData, isBinary: boolean): void {
    const { ws, ctx } = this;
    // ws keeps emitting frames while a close handshake the server started is pending (up to
    // 30 s if the client never answers): a socket closed for an expired token, a replacement,
    // a rate limit or a slow reader must not go on acting in that time.
    if (ws.readyState !== ws.OPEN) return;
    const text = isBinary ? undefined : rawText(data);
    if (this.session) return this.frame(this.session, text);
    if (this.authenticating) {
      // A client may send right after hello; keep those frames for after the welcome.
      this.early ??= [];
      if (this.early.length >= MAX_EARLY_FRAMES)
        return this.close(CloseCode.POLICY_VIOLATION, 'too early');
      this.early.push(text);
      return;
    }
    if (text === undefined) return this.close(CloseCode.UNAUTHORIZED, 'hello required');
    const parsed = parseJson(ClientFrame, text);
    if (!parsed.ok || parsed.value.type !== 'hello') {
      ctx.metrics.framesIn.inc({ type: 'invalid' });
      return this.close(CloseCode.UNAUTHORIZED, 'hello required');
    }
    ctx.metrics.framesIn.inc({ type: 'hello' });
    this.authenticating = true;
    const resume = parsed.value.resume;
    void verifyToken(ctx.authKey, parsed.value.token).then((identity) => {
      if (!identity) return this.close(CloseCode.UNAUTHORIZED, 'unauthorized');
      return this.welcome(identity, resume);
    });
  }

  /** A frame from an authenticated client. */
  private frame(session: Session, text: string | undefined): void {
    const { metrics } = this.ctx;
    if (!session.allow(() => (text === undefined ? undefined : idOf(text)))) return;
    if (text === undefined) {
      metrics.framesIn.inc({ type: 'invalid' });
      return session.error('INVALID_MESSAGE', undefined, 'binary frames are not accepted');
    }
    const parsed = parseJson(ClientFrame, text);
    if (!parsed.ok) {
      metrics.framesIn.inc({ type: 'invalid' });
      return session.error('INVALID_MESSAGE', idOf(text), parsed.error);
    }
    metrics.framesIn.inc({ type: parsed.value.type });
    if (parsed.value.type === 'hello')
      return session.error('INVALID_MESSAGE', undefined, 'already authenticated');
    void this.statusChange(session, parsed.value);
  }

  private async welcome(identity: Identity, resume: Resume | undefined): Promise<void> {
    const { ws, ctx } = this;
    const { config } = ctx;
    clearTimeout(this.helloTimer);
    this.helloTimer = undefined;
    if (ws.readyState !== ws.OPEN) return;
    let state: WelcomeState;
    try {
      state = await ctx.history.welcome(identity);
    } catch {
      return this.close(CloseCode.TRY_AGAIN_LATER, 'state store unavailable');
    }
    // The socket may have gone while Redis answered: its 'close' has already run without a
    // session, so registering one now would leak it and report a connect nobody ends.
    if (ws.readyState !== ws.OPEN) return;
    const current = state.seq;
    // A lastSeq of another numbering, or beyond anything stored (Redis lost data): what the
    // client holds is not ours to vouch for; it gets resync and a snapshot, then what follows.
    const otherEpoch = resume?.epoch !== undefined && resume.epoch !== state.epoch;
    const beyond = resume !== undefined && resume.lastSeq > current;
    const cursor =
      resume === undefined || otherEpoch || beyond ? current : Math.min(resume.lastSeq, current);
    const s = new Session(
      ws,
      identity,
      ctx,
      new TokenBucket(config.rateLimitPerSecond, config.rateLimitBurst, ctx.clock),
      { cursor, epoch: state.epoch },
      this.socket,
    );
    // One client id may hold only so many sockets here: the oldest make way.
    const existing = ctx.sessions.of(identity.clientId);
    for (const old of existing.slice(
      0,
      Math.max(0, existing.length - config.maxSocketsPerClient + 1),
    )) {
      old.close(CloseCode.REPLACED, 'replaced by a newer connection');
    }
    this.session = s;
    const link = ctx.sessions.add(s);
    ctx.metrics.connections.inc({ role: identity.role });
    this.armExpiry(s);
    s.send({
      type: 'welcome',
      data: {
        clientId: identity.clientId,
        role: identity.role,
        examId: identity.examId,
        serverId: config.serverId,
        lastSeq: cursor,
        epoch: state.epoch,
        status: state.status,
      },
    });
    if (otherEpoch || beyond) {
      s.send({
        type: 'resync',
        data: {
          fromSeq: otherEpoch ? 0 : current,
          toSeq: otherEpoch ? current : (resume?.lastSeq ?? current),
          ...(otherEpoch ? { epoch: state.epoch } : {}),
        },
      });
    }
    if (otherEpoch || beyond || identity.role === 'supervisor') await s.sendSnapshot();
    if (cursor < current) void s.delivery.fill();
    const early = this.early ?? [];
    this.early = undefined;
    for (const text of early) this.frame(s, text);
    if (!link.first) return;
    try {
      await ctx.publish(
        linkCommand(
          config.serverId,
          'connect',
          {
            clientId: identity.clientId,
            role: identity.role,
            examId: identity.examId,
            connId: link.connId,
          },
          s.connectedAt,
        ),
      );
      // The server's logger with the fields, not the session's: a child per socket costs.
      ctx.log.info(
        { clientId: identity.clientId, role: identity.role, connId: link.connId, lastSeq: cursor },
        'client connected',
      );
    } catch (err) {
      s.log.warn({ err }, 'connect not published; closing');
      s.close(CloseCode.TRY_AGAIN_LATER, 'broker unavailable');
    }
  }

  /** Closes the session when its token expires (timers cap at 2^31-1 ms, 24.8 days: re-armed). */
  private armExpiry(s: Session): void {
    const ms = s.identity.expiresAt * 1000 - Date.now();
    if (ms <= 0) return s.close(CloseCode.UNAUTHORIZED, 'token expired');
    this.expiryTimer = setTimeout(() => this.armExpiry(s), Math.min(ms, 2 ** 31 - 1));
  }

  private async statusChange(s: Session, frame: StatusChangeRequest): Promise<void> {
    const { identity } = s;
    const { config, metrics } = this.ctx;
    if (identity.role !== 'supervisor') {
      return s.error('FORBIDDEN', frame.id, 'examinees cannot change status');
    }
    if ('examId' in frame.data && frame.data.examId !== identity.examId) {
      return s.error('FORBIDDEN', frame.id, 'supervisors act only on their own exam');
    }
    metrics.ackTimer.start(identity.clientId, frame.id);
    try {
      await this.ctx.publish(statusChangeCommand(config.serverId, identity, frame));
      s.log.info({ messageId: frame.id }, 'status change received');
    } catch (err) {
      s.log.warn({ messageId: frame.id, err }, 'status change not published');
      s.error(err instanceof UnavailableError ? 'UNAVAILABLE' : 'INTERNAL', frame.id);
    }
  }
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

/** The request id of a frame that failed validation, if it has a usable one. */
function idOf(text: string): string | undefined {
  try {
    const id = (JSON.parse(text) as { id?: unknown } | null)?.id;
    return typeof id === 'string' && /^[\x21-\x7e]{1,64}$/.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}
