import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';

/**
 * Gates WebSocket upgrades on `/ws`: 404 elsewhere, 503 while the server is not ready or is
 * full, 403 for an Origin not allowed. Accepted sockets go to `onSocket`.
 */
export function gateUpgrades(
  http: Server,
  wss: WebSocketServer,
  options: {
    ready(): boolean;
    maxConnections: number;
    allowedOrigins: string[];
    onSocket(ws: WebSocket, socket: Duplex): void;
  },
): void {
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node's HTTP server drops its error listener from a socket it hands to 'upgrade' (ws adds
    // its own in handleUpgrade): without one, a client resetting the connection while we
    // refuse it is an unhandled 'error' event that kills the process.
    const refuse = (status: number, text: string) => {
      socket.on('error', () => socket.destroy());
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if ((req.url ?? '').split('?')[0] !== '/ws') return refuse(404, 'Not Found');
    if (!options.ready()) return refuse(503, 'Service Unavailable');
    if (wss.clients.size >= options.maxConnections) return refuse(503, 'Service Unavailable');
    const origin = req.headers.origin;
    const allowed = options.allowedOrigins;
    if (allowed.length > 0 && (!origin || !allowed.includes(origin))) {
      return refuse(403, 'Forbidden');
    }
    wss.handleUpgrade(req, socket, head, (ws) => options.onSocket(ws, socket));
  });
}
