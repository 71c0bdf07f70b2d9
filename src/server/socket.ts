import type { Duplex } from 'node:stream';
import type { RawData, WebSocket } from 'ws';
import type { Logger } from '../shared/logger.js';
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
import type { ServerMetrics } from './metrics.js';
import { Session, type SessionRegistry } from './session.js';
import type { History, WelcomeState } from './history.js';
import { OrderedDelivery } from './ordered-delivery.js';
import { linkCommand, statusChangeCommand } from './commands.js';
import { TokenBucket } from './rate-limit.js';
import type { StatusQueueCommand } from './status-publisher.js';

type Resume = NonNullable<Hello['resume']>;

/** Frames a client may send between hello and welcome; more is abuse. */
const MAX_EARLY_FRAMES = 16;

export interface SocketContext {
  config: SocketServerConfig;
  log: Logger;
  metrics: ServerMetrics;
  sessions: SessionRegistry;
  history: History;
  publish(message: StatusQueueCommand): Promise<void>;
  /** Called once when an authenticated session's socket closes. */
  onEnd(session: Session): void;
}

/**
 * One socket's protocol: `hello` first (within the timeout) with a valid token, else 4401;
 * then `status_change` requests from supervisors. A bad frame gets an error and the socket
 * stays usable.
 */
export function handleSocket(ws: WebSocket, ctx: SocketContext, socket?: Duplex): void {
  const { config, log, metrics } = ctx;
  const secret = new TextEncoder().encode(config.authSecret);
  let session: Session | undefined;
  let authenticating = false;
  const early: (string | undefined)[] = [];
  const helloTimer = setTimeout(
    () => close(CloseCode.UNAUTHORIZED, 'hello timeout'),
    config.helloTimeoutMs ?? 10_000,
  );
  let expiryTimer: NodeJS.Timeout | undefined;

  function close(code: number, reason: string) {
    metrics.closes.inc({ code: String(code) });
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason);
  }

  ws.on('error', (err) => log.debug({ err }, 'socket error'));
  ws.on('close', () => {
    clearTimeout(helloTimer);
    clearTimeout(expiryTimer);
    if (session) {
      session.delivery?.close();
      ctx.onEnd(session);
    }
  });

  ws.on('message', (data: RawData, isBinary: boolean) => {
    // ws keeps emitting frames while a close handshake the server started is pending (up to
    // 30 s if the client never answers): a socket closed for an expired token, a replacement,
    // a rate limit or a slow reader must not go on acting in that time.
    if (ws.readyState !== ws.OPEN) return;
    const text = isBinary ? undefined : rawText(data);
    if (!session) {
      if (authenticating) {
        // A client may send right after hello; keep those frames for after the welcome.
        if (early.length >= MAX_EARLY_FRAMES) return close(CloseCode.POLICY_VIOLATION, 'too early');
        early.push(text);
        return;
      }
      if (text === undefined) return close(CloseCode.UNAUTHORIZED, 'hello required');
      const parsed = parseJson(ClientFrame, text);
      if (!parsed.ok || parsed.value.type !== 'hello') {
        metrics.framesIn.inc({ type: 'invalid' });
        return close(CloseCode.UNAUTHORIZED, 'hello required');
      }
      metrics.framesIn.inc({ type: 'hello' });
      authenticating = true;
      const resume = parsed.value.resume;
      void verifyToken(secret, parsed.value.token).then((identity) => {
        if (!identity) return close(CloseCode.UNAUTHORIZED, 'unauthorized');
        return welcome(identity, resume);
      });
      return;
    }
    onFrame(session, text);
  });

  /** A frame from an authenticated client. */
  function onFrame(session: Session, text: string | undefined): void {
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
    void statusChange(session, parsed.value);
  }

  async function welcome(identity: Identity, resume: Resume | undefined): Promise<void> {
    clearTimeout(helloTimer);
    if (ws.readyState !== ws.OPEN) return;
    let state: WelcomeState;
    try {
      state = await ctx.history.welcome(identity);
    } catch {
      return close(CloseCode.TRY_AGAIN_LATER, 'state store unavailable');
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
    const clientLog = log.child({ clientId: identity.clientId, role: identity.role });
    const s = new Session(
      ws,
      identity,
      clientLog,
      metrics,
      new TokenBucket(config.rateLimitPerSecond, config.rateLimitBurst),
      Math.max(10, config.rateLimitBurst),
      socket,
    );
    const sendSnapshot = () =>
      ctx.history.snapshot(identity).then(
        (data) => s.send({ type: 'snapshot', data }),
        (err: unknown) => clientLog.warn({ err }, 'snapshot not read'),
      );
    s.sendSnapshot = sendSnapshot;
    s.delivery = new OrderedDelivery({
      clientId: identity.clientId,
      cursor,
      epoch: state.epoch,
      read: (afterSeq) => ctx.history.after(identity, afterSeq),
      logger: clientLog,
      send: (text, replayed) => {
        s.sendText(text, 'status_change');
        if (replayed) metrics.replayed.inc();
      },
      resync: (fromSeq, toSeq) => {
        s.send({ type: 'resync', data: { fromSeq, toSeq } });
        void sendSnapshot();
      },
      rebase: async (epoch) => {
        // The seq first, then the snapshot: a change in between is in both, never in neither.
        const now = await ctx.history.welcome(identity);
        const fromSeq = s.delivery?.cursor ?? 0;
        s.send({ type: 'resync', data: { fromSeq, toSeq: now.seq, epoch: now.epoch } });
        await sendSnapshot();
        return now.epoch === epoch ? now.seq : 0;
      },
    });
    // One client id may hold only so many sockets here: the oldest make way.
    const existing = ctx.sessions.of(identity.clientId);
    for (const old of existing.slice(
      0,
      Math.max(0, existing.length - config.maxSocketsPerClient + 1),
    )) {
      old.close(CloseCode.REPLACED, 'replaced by a newer connection');
    }
    session = s;
    const link = ctx.sessions.add(s);
    metrics.connections.inc({ role: identity.role });
    // Timers cap at 2^31-1 ms (24.8 days): re-arm until the token really expires.
    const armExpiry = () => {
      const ms = identity.expiresAt * 1000 - Date.now();
      if (ms <= 0) return s.close(CloseCode.UNAUTHORIZED, 'token expired');
      expiryTimer = setTimeout(armExpiry, Math.min(ms, 2 ** 31 - 1));
    };
    armExpiry();
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
    if (otherEpoch || beyond || identity.role === 'supervisor') await sendSnapshot();
    if (cursor < current) void s.delivery.fill();
    for (const text of early.splice(0)) onFrame(s, text);
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
      clientLog.info({ connId: link.connId, lastSeq: cursor }, 'client connected');
    } catch (err) {
      clientLog.warn({ err }, 'connect not published; closing');
      s.close(CloseCode.TRY_AGAIN_LATER, 'broker unavailable');
    }
  }

  async function statusChange(s: Session, frame: StatusChangeRequest): Promise<void> {
    const { identity } = s;
    if (identity.role !== 'supervisor') {
      return s.error('FORBIDDEN', frame.id, 'examinees cannot change status');
    }
    if ('examId' in frame.data && frame.data.examId !== identity.examId) {
      return s.error('FORBIDDEN', frame.id, 'supervisors act only on their own exam');
    }
    metrics.ackTimer.start(identity.clientId, frame.id);
    try {
      await ctx.publish(statusChangeCommand(config.serverId, identity, frame));
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
