// The Socket.IO 4 + @socket.io/redis-adapter peer of issue 9: one of two socket servers doing
// exam-relay's work without durability. A token (the same JWT) is checked at the handshake;
// a connect reads the client's current status (one HGETALL or two) and says `welcome`, and
// tells the exam's supervisors (`presence`); a status change is one HSET, one room emit to the
// target (examinee or whole exam) and the exam's supervisors, then the ack callback.
// Started by bench/peers/peer-process.ts with SIO_* in its environment; logs {"ready":port}.
import { createServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server, type Socket } from 'socket.io';
import { verifyToken, type Identity } from '../../src/protocol/index.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const prefix = env('SIO_KEY_PREFIX');
const secret = new TextEncoder().encode(env('AUTH_SECRET'));
const redisUrl = env('REDIS_URL');
// Named so the bench's SLOWLOG tells this peer's commands (`bench/slowlog.ts`).
const redis = new Redis(redisUrl, { connectionName: 'bench-sio' });
const pub = new Redis(redisUrl, { connectionName: 'bench-sio-pub' });
const sub = pub.duplicate();

const http = createServer((req, res) => {
  res.writeHead(req.url === '/healthz' ? 200 : 404);
  res.end();
});
const io = new Server(http, {
  transports: ['websocket'],
  serveClient: false,
  adapter: createAdapter(pub, sub, { key: `${prefix}socket.io` }),
});

interface Change {
  id: string;
  data: { targetExamineeId?: string; examId?: string; status: string };
}
type Ack = (reply: { id: string; error?: string; status?: string; timestamp?: string }) => void;

const examineeKey = (id: string) => `${prefix}examinee:${id}:status`;
const examKey = (id: string) => `${prefix}exam:${id}:status`;

io.use((socket, next) => {
  const token = (socket.handshake.auth as { token?: unknown }).token;
  if (typeof token !== 'string') return next(new Error('UNAUTHORIZED'));
  verifyToken(secret, token).then(
    (identity) => {
      if (!identity) return next(new Error('UNAUTHORIZED'));
      (socket.data as { identity: Identity }).identity = identity;
      next();
    },
    (err: unknown) => next(err as Error),
  );
});

io.on('connection', (socket: Socket) => {
  const me = (socket.data as { identity: Identity }).identity;
  void socket.join(`c:${me.clientId}`);
  void socket.join(me.role === 'supervisor' ? `s:${me.examId}` : `e:${me.examId}`);
  void welcome(socket, me);
  if (me.role === 'examinee') {
    io.to(`s:${me.examId}`).emit('presence', { clientId: me.clientId, online: true });
    socket.on('disconnect', () =>
      io.to(`s:${me.examId}`).emit('presence', { clientId: me.clientId, online: false }),
    );
  }
  socket.on('status_change', (change: Change, ack: Ack) => {
    if (typeof ack !== 'function') return;
    if (me.role !== 'supervisor') return ack({ id: change.id, error: 'FORBIDDEN' });
    void apply(me, change).then(ack, (err: unknown) => {
      console.error('status change failed', err);
      ack({ id: change.id, error: 'UNAVAILABLE' });
    });
  });
});

async function welcome(socket: Socket, me: Identity): Promise<void> {
  const [exam, own] = await Promise.all([
    redis.hgetall(examKey(me.examId)),
    me.role === 'examinee'
      ? redis.hgetall(examineeKey(me.clientId))
      : Promise.resolve<Record<string, string>>({}),
  ]);
  const later = [exam, own]
    .filter((s): s is Record<string, string> => typeof s.timestamp === 'string')
    .sort((a, b) => String(b.timestamp).localeCompare(String(a.timestamp)))[0];
  socket.emit('welcome', { clientId: me.clientId, status: later ?? null });
}

async function apply(me: Identity, change: Change) {
  const timestamp = new Date().toISOString();
  const { targetExamineeId, status } = change.data;
  const record = { status, supervisorId: me.clientId, timestamp, id: change.id };
  const frame = { id: change.id, data: { ...change.data, supervisorId: me.clientId, timestamp } };
  if (targetExamineeId) {
    await redis.hset(examineeKey(targetExamineeId), record);
    io.to([`c:${targetExamineeId}`, `s:${me.examId}`]).emit('status_change', frame);
  } else {
    await redis.hset(examKey(me.examId), record);
    io.to([`e:${me.examId}`, `s:${me.examId}`]).emit('status_change', frame);
  }
  return { id: change.id, status, timestamp };
}

http.listen(Number(env('SIO_PORT')), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ ready: Number(env('SIO_PORT')) })}\n`);
});

const stop = () => {
  void io.close();
  redis.disconnect();
  pub.disconnect();
  sub.disconnect();
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
