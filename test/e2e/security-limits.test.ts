// Limits end to end: frame size (1009), rate limit (RATE_LIMITED, 4429) and a flood from one
// socket while other clients are served, connections per server (503), the Origin allow-list,
// slow readers (4408) and sockets per client (4409). Each case checks what the client sees and
// what Redis holds afterwards. Needs RabbitMQ and Redis running (AMQP_URL, REDIS_URL; localhost
// defaults) and a built dist/ (npm test builds first). Starts real exam-relay processes in a
// random namespace.
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import WebSocket from 'ws';
import { Cluster } from '../helpers/cluster.js';
import { rawRedis, routed } from '../helpers/env.js';
import { TestClient } from '../helpers/ws-client.js';
import { rawHttp, settledSnapshot, sleep, snapshot, type Snapshot } from './security-support.js';
import { eventually } from '../helpers/eventually.js';

type Role = 'supervisor' | 'examinee';

const UPGRADE =
  'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
  'Sec-WebSocket-Version: 13\r\n';

/** One counter of a server's /metrics by its label text, e.g. `code="4429"`. */
async function counter(port: number, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('security: limits', function () {
  this.timeout(60_000);
  let cluster: Cluster;
  let redis: Redis;
  const ns = () => cluster.namespace;
  const open: { client: TestClient; id?: string }[] = [];

  async function login(server: string, id: string, role: Role, examId = 'EXAM1') {
    const client = await TestClient.login(
      cluster.port(server),
      await cluster.token(id, role, examId),
    );
    open.push({ client, id });
    await routed(redis, ns(), id, server);
    return client;
  }

  /** Logs every client in and out once: later logins and logouts then leave Redis as it is. */
  async function registered(clients: [string, string, Role, string?][]): Promise<Snapshot> {
    for (const [server, id, role, exam] of clients) {
      const c = await login(server, id, role, exam);
      c.close();
      await routed(redis, ns(), id, undefined);
    }
    open.length = 0;
    return settledSnapshot(redis, ns());
  }

  before(async () => {
    cluster = await Cluster.start({ servers: ['serverA'] });
    redis = rawRedis();
    await Promise.all([
      cluster.startServer('serverC', undefined, { MAX_CONNECTIONS: '3' }),
      cluster.startServer('serverO', undefined, { ALLOWED_ORIGINS: 'https://exam.example' }),
      cluster.startServer('serverS', undefined, {
        RATE_LIMIT_PER_SECOND: '100000',
        RATE_LIMIT_BURST: '100000',
      }),
    ]);
  });
  afterEach(async () => {
    const closing = open.splice(0);
    for (const { client } of closing) client.close();
    await Promise.all(
      closing.map(({ id }) => (id ? routed(redis, ns(), id, undefined) : undefined)),
    );
  });
  after(async () => {
    redis.disconnect();
    await cluster.stop();
  });

  describe('frame size', () => {
    it('takes a frame of exactly 64 KiB and closes with 1009 on one byte more, changing nothing', async () => {
      const before = await registered([['serverA', 'L-1', 'supervisor']]);
      const client = await login('serverA', 'L-1', 'supervisor');
      const frame = (size: number) => {
        const head =
          '{"type":"status_change","id":"big","data":{"examId":"EXAM1","status":"READY","pad":"';
        return `${head}${'p'.repeat(size - head.length - 3)}"}}`;
      };
      expect(Buffer.byteLength(frame(65_536))).to.equal(65_536);
      client.send(frame(65_536));
      expect(await client.next((f) => f.type === 'error')).to.include({
        id: 'big',
        code: 'INVALID_MESSAGE',
      });
      client.send(frame(65_537));
      expect(await client.closed).to.equal(1009);
      await routed(redis, ns(), 'L-1', undefined);
      expect(await snapshot(redis, ns())).to.deep.equal(before);
    });
  });

  describe('rate limit', () => {
    it('answers RATE_LIMITED with the request id past the burst, closes with 4429, and applies only what it let through', async () => {
      await registered([
        ['serverA', 'E-L1', 'examinee'],
        ['serverA', 'L-2', 'supervisor'],
      ]);
      await login('serverA', 'E-L1', 'examinee');
      const seqBefore = Number(await redis.get(`${ns()}:client:E-L1:seq`));
      const client = await login('serverA', 'L-2', 'supervisor');
      const ids = Array.from({ length: 300 }, (_, i) => `r-${i}`);
      const started = Date.now();
      for (const id of ids)
        client.send({
          type: 'status_change',
          id,
          data: { targetExamineeId: 'E-L1', status: 'PAUSED' },
        });
      expect(await client.closed).to.equal(4429);
      const elapsed = (Date.now() - started) / 1000;
      const limited = client.frames.filter((f) => f.type === 'error' && f.code === 'RATE_LIMITED');
      expect(limited.length).to.be.at.least(39);
      expect(limited.every((f) => typeof f.id === 'string' && ids.includes(f.id))).to.equal(true);

      // Every frame the server read before it closed was applied or refused, never both: the
      // two together are the first ids sent (the bucket may refill mid-burst, so the applied
      // ones alone need not be). The request records and the examinee's seq are read at one
      // instant, once the let-through requests are all applied.
      const limitedIds = new Set(limited.map((f) => f.id as string));
      const index = (id: string) => Number(id.slice(2));
      const { stored, seqAfter } = await eventually(
        async () => {
          const [keys, seq] = (
            (await redis
              .multi()
              .keys(`${ns()}:request:L-2:*`)
              .get(`${ns()}:client:E-L1:seq`)
              .exec()) ?? []
          ).map(([err, value]) => {
            if (err) throw err;
            return value;
          });
          const ids = (keys as string[]).map((k) => k.split(':').at(-1) as string);
          const read = ids.length + limitedIds.size;
          const all = [...ids, ...limitedIds].map(index).sort((x, y) => x - y);
          return all.every((n, i) => n === i) && all.length === read
            ? { stored: ids, seqAfter: Number(seq) }
            : undefined;
        },
        'the let-through requests applied, the rest refused',
        10_000,
      );
      expect(stored.filter((id) => limitedIds.has(id))).to.deep.equal([]);
      expect(stored.length).to.be.within(1, 40 + 20 * elapsed + 1);
      expect(seqAfter).to.equal(seqBefore + stored.length);
    });

    it('limits thousands of frames a second from one socket while other clients keep being served', async () => {
      await registered([
        ['serverA', 'E001', 'examinee'],
        ['serverA', 'S001', 'supervisor'],
        ['serverA', 'EF-1', 'examinee', 'EXAM-F'],
        ['serverA', 'F-1', 'supervisor', 'EXAM-F'],
      ]);
      const port = cluster.port('serverA');
      const closesBefore = await counter(port, 'exam_relay_closes_total', 'code="4429"');
      const examinee = await login('serverA', 'E001', 'examinee');
      await login('serverA', 'EF-1', 'examinee', 'EXAM-F');
      const supervisor = await login('serverA', 'S001', 'supervisor');
      const floodToken = await cluster.token('F-1', 'supervisor', 'EXAM-F');

      let flooding = true;
      let floodFrames = 0;
      let floodSockets = 0;
      const closeCodes: number[] = [];
      const flood = (async () => {
        while (flooding) {
          const f = await TestClient.login(port, floodToken);
          floodSockets += 1;
          // 10,000 frames a second, until the server closes the socket: then straight back in.
          // At least one batch per socket, so every socket is one the server had to close.
          do {
            for (let i = 0; i < 500; i++) {
              f.send(
                i % 2
                  ? {
                      type: 'status_change',
                      id: `f-${floodFrames}`,
                      data: { targetExamineeId: 'EF-1', status: 'PAUSED' },
                    }
                  : `garbage ${floodFrames}`,
              );
              floodFrames += 1;
            }
            await sleep(50);
          } while (f.ws.readyState === WebSocket.OPEN && flooding);
          f.close();
          closeCodes.push(await f.closed);
        }
      })();

      const latencies: number[] = [];
      const statuses = ['STARTED', 'PAUSED', 'RESUMED'];
      // At least 20 changes, and on until the flood has sent 10,000 frames.
      for (let i = 0; (i < 20 || floodFrames < 10_000) && i < 200; i++) {
        const sentAt = Date.now();
        supervisor.change(`legit-${i}`, { targetExamineeId: 'E001', status: statuses[i % 3] });
        await supervisor.next((f) => f.type === 'ack' && f.id === `legit-${i}`, 5000);
        latencies.push(Date.now() - sentAt);
        await sleep(40);
      }
      flooding = false;
      await flood;

      const changes = await examinee.count((f) => f.type === 'status_change', latencies.length);
      expect(changes.map((f) => f.id)).to.deep.equal(latencies.map((_, i) => `legit-${i}`));
      const seqs = changes.map((f) => Number(f.seq));
      expect(seqs).to.deep.equal(seqs.map((_, i) => (seqs[0] ?? 0) + i));
      expect(supervisor.of('error')).to.deep.equal([]);
      expect(Math.max(...latencies), `ack latencies ${latencies.join(',')}`).to.be.below(2000);

      expect(floodFrames).to.be.at.least(10_000);
      expect(
        closeCodes.every((c) => c === 4429),
        closeCodes.join(','),
      ).to.equal(true);
      expect(await counter(port, 'exam_relay_closes_total', 'code="4429"')).to.equal(
        closesBefore + floodSockets,
      );
      // Each flooding socket got at most its burst (plus refill) through: nothing else applied.
      // Counted once what the flood got through has all been applied (the queue has drained).
      let applied = -1;
      for (let i = 0; i < 50; i++) {
        const now = (await redis.keys(`${ns()}:request:F-1:*`)).length;
        if (now === applied) break;
        applied = now;
        await sleep(300);
      }
      expect(applied).to.be.at.most(floodSockets * 45);
      expect(Number(await redis.get(`${ns()}:client:EF-1:seq`))).to.equal(applied);
      console.log(
        `      [flood] ${floodFrames} frames on ${floodSockets} sockets, ${applied} applied; ` +
          `legit acks ${latencies.length}/${latencies.length}, max ${Math.max(...latencies)} ms`,
      );
    });
  });

  describe('connections per server', () => {
    it('refuses upgrades past MAX_CONNECTIONS with 503, changing nothing', async () => {
      const before = await settledSnapshot(redis, ns());
      const port = cluster.port('serverC');
      const held = await Promise.all([0, 1, 2].map(() => TestClient.connect(port)));
      const refused = await rawHttp(port, `GET /ws HTTP/1.1\r\nHost: x\r\n${UPGRADE}\r\n`);
      expect(refused).to.match(/^HTTP\/1\.1 503 /);
      const error = await TestClient.connect(port).then(
        () => 'connected',
        (err: Error) => err.message,
      );
      expect(error).to.include('503');
      held[0]?.close();
      await held[0]?.closed;
      await eventually(
        async () =>
          (await rawHttp(port, `GET /ws HTTP/1.1\r\nHost: x\r\n${UPGRADE}\r\n`, 300)).startsWith(
            'HTTP/1.1 101',
          ),
        'a free slot',
        10_000,
      );
      for (const c of held) c.close();
      expect(await snapshot(redis, ns())).to.deep.equal(before);
    });
  });

  describe('Origin allow-list', () => {
    it('refuses upgrades from other or missing origins with 403 and accepts the listed one', async () => {
      const before = await registered([['serverA', 'E-O1', 'examinee']]);
      const port = cluster.port('serverO');
      for (const origin of [
        undefined,
        'https://evil.example',
        'https://exam.example.evil.com',
        'null',
        'http://exam.example',
        'https://exam.example:443/',
      ]) {
        const error = await TestClient.connect(port, origin ? { origin } : {}).then(
          () => 'connected',
          (err: Error) => err.message,
        );
        expect(error, origin).to.include('403');
      }
      expect(await snapshot(redis, ns())).to.deep.equal(before);
      const ok = await TestClient.connect(port, { origin: 'https://exam.example' });
      open.push({ client: ok, id: 'E-O1' });
      ok.send({ type: 'hello', token: await cluster.token('E-O1', 'examinee') });
      await ok.next((f) => f.type === 'welcome');
    });
  });

  describe('slow readers', () => {
    it('drops a client whose send buffer keeps growing with 4408, changing nothing', async () => {
      const before = await registered([['serverS', 'SR-1', 'examinee']]);
      const server = cluster.servers.get('serverS');
      const client = await login('serverS', 'SR-1', 'examinee');
      client.ws.pause(); // reads nothing from now on
      // Every frame is answered with an error about as long as it: the answers pile up.
      const frame = JSON.stringify({
        type: 'status_change',
        id: 'x',
        data: {},
        [`k${'e'.repeat(1000)}`]: 1,
      });
      const dropped = () =>
        server?.process.lines.some(
          (l) => l.msg === 'slow reader dropped' && l.clientId === 'SR-1',
        ) ?? false;
      for (let batch = 0; batch < 200 && !dropped(); batch++) {
        for (let i = 0; i < 1000; i++) client.send(frame);
        await sleep(30);
      }
      await eventually(dropped, 'the server to drop the slow reader', 10_000);
      client.ws.resume();
      expect(await client.closed).to.equal(4408);
      await routed(redis, ns(), 'SR-1', undefined);
      expect(server?.process.child.exitCode).to.equal(null);
      expect(await snapshot(redis, ns())).to.deep.equal(before);
    });
  });

  describe('sockets per client', () => {
    it('closes the oldest socket of a client past MAX_SOCKETS_PER_CLIENT with 4409', async () => {
      const before = await registered([['serverA', 'E-M1', 'examinee']]);
      const port = cluster.port('serverA');
      const token = await cluster.token('E-M1', 'examinee');
      const sockets: TestClient[] = [];
      for (let i = 0; i < 5; i++) {
        sockets.push(await TestClient.login(port, token));
        await sleep(50);
      }
      expect(await sockets[0]?.closed).to.equal(4409);
      expect(await sockets[1]?.closed).to.equal(4409);
      expect(sockets.slice(2).map((s) => s.ws.readyState)).to.deep.equal([1, 1, 1]);
      expect(await counter(port, 'exam_relay_connections', 'role="examinee"')).to.equal(3);
      const connections = await redis.hgetall(`${ns()}:server:serverA:connections`);
      expect(Object.keys(connections).filter((k) => k === 'client:E-M1')).to.have.length(1);
      for (const s of sockets) s.close();
      await routed(redis, ns(), 'E-M1', undefined);
      expect(await snapshot(redis, ns())).to.deep.equal(before);
    });
  });
});
