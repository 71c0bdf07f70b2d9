/** The part of an `open`/`close`/`error`/`message` event the client reads. */
export interface SocketMessageEvent {
  readonly data: unknown;
}

export interface SocketCloseEvent {
  readonly code: number;
  readonly reason: string;
}

/**
 * The subset of the WHATWG WebSocket the client uses. Browsers' and Node 22's global
 * `WebSocket` and the `ws` package (v8) all satisfy it. Listeners are declared as methods so
 * that each implementation's own event classes are accepted.
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'error', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: SocketMessageEvent) => void): void;
  addEventListener(type: 'close', listener: (event: SocketCloseEvent) => void): void;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** `readyState` of an open socket (the same constant in every implementation). */
export const OPEN = 1;

/** Close code the client sends when it leaves a socket itself (always a valid one for browsers). */
export const NORMAL_CLOSURE = 1000;

/** The global WebSocket if the runtime has one (browsers, Node 22+, Deno, Bun). */
export function globalWebSocket(): WebSocketConstructor | undefined {
  const candidate = (globalThis as { WebSocket?: unknown }).WebSocket;
  return typeof candidate === 'function' ? (candidate as WebSocketConstructor) : undefined;
}

/**
 * Closes a socket that may already be closing or closed. No reason text: browsers throw on one
 * over 123 bytes, and the server does not read it.
 */
export function closeQuietly(socket: WebSocketLike): void {
  try {
    socket.close(NORMAL_CLOSURE);
  } catch {
    // Already closed or closing: nothing left to do.
  }
}

/** Resolves when the socket has closed, or after `waitMs` at the latest. */
export function closedOrTimeout(socket: WebSocketLike, waitMs = 1000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, waitMs);
    socket.addEventListener('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
