import { ExamRelayClient, type ClientStatus } from '../../../client/index.js';
import { TRY_SESSION_PATH, TrySession } from '../../try-it/session.js';
import { z } from 'zod';
import { $, logLine, showProblem } from './dom.js';

/** The admin's error reply (see ../../http.ts). */
const ApiError = z.object({ error: z.object({ message: z.string() }) });

/** Who this page is, from `?as=` (and `&server=` to start on another server). */
function sessionUrl(): string {
  const query = new URLSearchParams(location.search);
  const params = new URLSearchParams({ as: query.get('as') ?? '' });
  const server = query.get('server');
  if (server) params.set('server', server);
  return `${TRY_SESSION_PATH}?${params.toString()}`;
}

/** Asks the dev process for this page's identity, token and server URLs. */
async function loadSession(): Promise<TrySession> {
  const res = await fetch(sessionUrl(), { credentials: 'same-origin' });
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    const error = ApiError.safeParse(body);
    throw new Error(error.success ? error.data.error.message : `HTTP ${res.status}`);
  }
  const parsed = TrySession.safeParse(body);
  if (!parsed.success) throw new Error(`unexpected session reply: ${parsed.error.message}`);
  return parsed.data;
}

/** The client's connection states, as a person would say them. */
export const STATE_TEXT: Record<ClientStatus, string> = {
  idle: 'idle',
  connecting: 'connecting',
  open: 'connected',
  reconnecting: 'reconnecting',
  stopped: 'token refused',
  closed: 'closed',
};

/**
 * The page's client: the session's identity, its servers in failover order, and a fresh token
 * from the dev process before every connect. The top bar shows who and how connected.
 */
export async function connectPage(): Promise<{ client: ExamRelayClient; session: TrySession }> {
  let session: TrySession;
  try {
    session = await loadSession();
  } catch (err) {
    showProblem(`Cannot start: ${err instanceof Error ? err.message : String(err)}`);
    throw err;
  }
  $('who').textContent = `${session.clientId}, ${session.role} of ${session.examId}`;
  const client = new ExamRelayClient({
    urls: session.urls,
    token: async () => (await loadSession()).token,
    // A dev cluster on one machine: come back quickly after a server restart.
    backoff: { baseMs: 200, capMs: 3000 },
  });
  const connection = $('connection');
  const show = (status: ClientStatus, serverId?: string) => {
    connection.dataset.state = status;
    connection.textContent =
      status === 'open' && serverId ? `connected to ${serverId}` : STATE_TEXT[status];
  };
  client.on('status', () => show(client.status, client.welcome?.serverId));
  client.on('connected', ({ serverId, lastSeq }) => {
    show(client.status, serverId);
    logLine(`connected to ${serverId}, resuming after seq ${lastSeq}`);
  });
  client.on('disconnected', ({ url, code, reason, willReconnect }) =>
    logLine(
      `disconnected from ${url}${code === undefined ? '' : ` (${code})`}: ${reason}` +
        (willReconnect ? '; reconnecting' : ''),
    ),
  );
  client.on('unauthorized', ({ reason }) => showProblem(`The server refused the token: ${reason}`));
  client.on('error', (err) => logLine(`error ${err.code}: ${err.message}`));
  client.on('resync', ({ fromSeq, toSeq }) => logLine(`resync after seq ${fromSeq} to ${toSeq}`));
  void client.connect().catch((err: unknown) => {
    showProblem(`Cannot connect: ${err instanceof Error ? err.message : String(err)}`);
  });
  return { client, session };
}
