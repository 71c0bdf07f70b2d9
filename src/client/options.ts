import { globalWebSocket, type WebSocketConstructor } from './websocket.js';

/** Reconnect and retry delays. */
export interface BackoffOptions {
  /** Ceiling of the first delay in ms. Default 500. */
  baseMs?: number;
  /** Largest ceiling in ms. Default 15000. */
  capMs?: number;
}

/** Options of `ExamRelayClient`. */
export interface ExamRelayClientOptions {
  /**
   * Socket server endpoints, `ws://host:port/ws` or `wss://…`. The client starts with the first
   * and, after a failed or lost connection or a `reconnect` frame, moves to the next (wrapping
   * around). Required, at least one.
   */
  urls: string[];
  /**
   * The client's JWT, or a function returning one. A function is called before every connect,
   * so it can hand out a refreshed token. Required.
   */
  token: string | (() => string | Promise<string>);
  /**
   * The WebSocket implementation. Default `globalThis.WebSocket` (browsers, Node 22+). Node 20
   * has none: pass the `ws` package's default export.
   */
  WebSocket?: WebSocketConstructor;
  /**
   * Reconnect delays: full jitter, uniform in [0, min(capMs, baseMs * 2^failures)], where
   * failures counts connections in a row that failed or lasted less than capMs. Also spaces the
   * resends of a request the server answered `UNAVAILABLE`. Default
   * `{ baseMs: 500, capMs: 15000 }`.
   */
  backoff?: BackoffOptions;
  /** How long a request waits for its ack before the same id is sent again. Default 5000. */
  requestTimeoutMs?: number;
  /** How long `changeStatus` keeps trying before it rejects with a timeout. Default 30000. */
  requestDeadlineMs?: number;
  /** Time from starting a connect to `welcome` before giving up on that server. Default 10000. */
  connectTimeoutMs?: number;
  /**
   * The last `seq` this client processed, to resume a persisted session: the server replays what
   * came after it. Default 0, which replays what the server's history still holds.
   */
  lastSeq?: number;
  /**
   * The epoch `lastSeq` counts in (from `welcome.data.epoch`, persisted with it). A server whose
   * numbering changed since answers with resync and a snapshot. Default: unknown.
   */
  epoch?: string;
  /** Random numbers in [0, 1) for jitter; for deterministic tests. Default `Math.random`. */
  random?: () => number;
}

export interface ResolvedOptions {
  urls: string[];
  token: ExamRelayClientOptions['token'];
  WebSocket: WebSocketConstructor;
  backoff: Required<BackoffOptions>;
  requestTimeoutMs: number;
  requestDeadlineMs: number;
  connectTimeoutMs: number;
  lastSeq: number;
  epoch: string | undefined;
  random: () => number;
}

/** Fills in defaults and refuses options that cannot work, naming the option at fault. */
export function resolveOptions(options: ExamRelayClientOptions): ResolvedOptions {
  const { urls } = options;
  if (!Array.isArray(urls) || urls.length === 0) {
    throw new TypeError('urls: at least one ws:// or wss:// URL is required');
  }
  urls.forEach((url, i) => {
    let protocol: string;
    try {
      protocol = new URL(url).protocol;
    } catch {
      throw new TypeError(`urls[${i}]: "${url}" is not a URL`);
    }
    if (protocol !== 'ws:' && protocol !== 'wss:') {
      throw new TypeError(`urls[${i}]: "${url}" must start with ws:// or wss://`);
    }
  });
  const { token } = options;
  if (typeof token !== 'function' && (typeof token !== 'string' || token.length === 0)) {
    throw new TypeError('token: a JWT string or a function returning one is required');
  }
  const WebSocket = options.WebSocket ?? globalWebSocket();
  if (!WebSocket) {
    throw new TypeError(
      'WebSocket: this runtime has no global WebSocket (Node < 22); pass one, e.g. the ws package',
    );
  }
  return {
    urls: [...urls],
    token,
    WebSocket,
    backoff: {
      baseMs: positive('backoff.baseMs', options.backoff?.baseMs, 500),
      capMs: positive('backoff.capMs', options.backoff?.capMs, 15_000),
    },
    requestTimeoutMs: positive('requestTimeoutMs', options.requestTimeoutMs, 5_000),
    requestDeadlineMs: positive('requestDeadlineMs', options.requestDeadlineMs, 30_000),
    connectTimeoutMs: positive('connectTimeoutMs', options.connectTimeoutMs, 10_000),
    lastSeq: seq('lastSeq', options.lastSeq ?? 0),
    epoch: options.epoch,
    random: options.random ?? Math.random,
  };
}

/** A usable timer delay. setTimeout turns anything above 2^31-1 ms into 1 ms: it fires at once. */
export function validMs(value: number): boolean {
  return Number.isFinite(value) && value > 0 && value <= 2 ** 31 - 1;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!validMs(value)) {
    throw new TypeError(`${name}: must be a number of milliseconds in (0, 2^31-1], got ${value}`);
  }
  return value;
}

function seq(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(`${name}: must be a non-negative integer, got ${value}`);
  }
  return value;
}
