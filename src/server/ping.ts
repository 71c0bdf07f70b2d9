import type { WebSocket, WebSocketServer } from 'ws';

/**
 * Pings silent sockets every `intervalMs`; one that showed no life (a frame or a pong) by the
 * next round is terminated. A peer that vanished without closing (NAT timeout, sleeping
 * laptop) never answers; browsers answer pings by themselves, so this needs nothing from
 * clients. Returns a stopper.
 */
export function pingSilentSockets(wss: WebSocketServer, intervalMs: number): () => void {
  const alive = new WeakSet<WebSocket>();
  // One listener for every socket (the emitter is `this`), not two closures per socket.
  function showedLife(this: WebSocket): void {
    alive.add(this);
  }
  const onConnection = (ws: WebSocket) => {
    alive.add(ws);
    ws.on('pong', showedLife);
    ws.on('message', showedLife);
  };
  wss.on('connection', onConnection);
  const timer = setInterval(() => {
    for (const ws of wss.clients) {
      if (alive.has(ws)) {
        alive.delete(ws);
        ws.ping();
      } else ws.terminate();
    }
  }, intervalMs);
  return () => {
    clearInterval(timer);
    wss.off('connection', onConnection);
  };
}
