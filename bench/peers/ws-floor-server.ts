// The memory floor of issue 9: a bare `ws` server that holds authenticated sockets and does
// nothing else. The first frame must be exam-relay's `hello` with a valid token; the server
// answers `welcome` and keeps the socket. Logs {"ready":port} when listening.
import { WebSocketServer } from 'ws';
import { verifyToken } from '../../src/protocol/index.js';

const secret = new TextEncoder().encode(process.env.AUTH_SECRET ?? '');
const port = Number(process.env.WS_PORT);
const wss = new WebSocketServer({ host: '127.0.0.1', port, path: '/ws', perMessageDeflate: false });

wss.on('connection', (ws) => {
  ws.once('message', (data) => {
    let token: unknown;
    try {
      token = (JSON.parse(String(data)) as { token?: unknown }).token;
    } catch {
      token = undefined;
    }
    if (typeof token !== 'string') return ws.close(4401);
    void verifyToken(secret, token).then((identity) => {
      if (!identity) return ws.close(4401);
      ws.send(JSON.stringify({ type: 'welcome', data: { clientId: identity.clientId } }));
    });
  });
});
wss.on('listening', () => process.stdout.write(`${JSON.stringify({ ready: port })}\n`));

const stop = () => {
  wss.close();
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
