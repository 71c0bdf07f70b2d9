// Server failure, graceful drain and poison messages. Needs RabbitMQ and Redis running and a
// built dist/; starts real exam-relay processes. Run by `npm run test:faults`.
import { expect } from 'chai';
import amqp from 'amqplib';
import type { Redis } from 'ioredis';
import { Cluster } from '../../helpers/cluster.js';
import { AMQP_URL, rawRedis } from '../../helpers/env.js';
import { TEST_SECRET, freePort, startRole, waitForHttp } from '../../helpers/processes.js';
import { TestClient, type Frame } from '../../helpers/ws-client.js';
import { classify, report, streamChanges } from '../../helpers/fault-stream.js';
import { BusSigner } from '../../../src/shared/bus-signature.js';
import { createNames } from '../../../src/topology/names.js';
import { eventually, sleep } from '../../helpers/eventually.js';

const ENV = {
  RATE_LIMIT_PER_SECOND: '5000',
  RATE_LIMIT_BURST: '5000',
  HEARTBEAT_INTERVAL_MS: '1000',
};

describe('server lifecycle and poison messages', function () {
  this.timeout(120_000);
  let cluster: Cluster;
  let redis: Redis;
  const key = (k: string) => `${cluster.namespace}:${k}`;

  beforeEach(async () => {
    redis = rawRedis();
    cluster = await Cluster.start({ env: ENV });
  });
  afterEach(async () => {
    redis.disconnect();
    await cluster.stop();
  });

  const routedTo = (id: string, server: string) => async () =>
    (await redis.hget(key(`client:${id}:route`), 'serverId')) === server;

  describe('a server that stops heartbeating', () => {
    it('is marked DOWN within 15 s with its routes gone, and ACTIVE again when it returns', async () => {
      await cluster.login('serverA', 'E001', 'examinee');
      await eventually(routedTo('E001', 'serverA'), 'route', 20_000);
      const server = cluster.servers.get('serverA')?.process;
      server?.child.kill('SIGSTOP');
      try {
        const lastSync = Date.parse(
          (await redis.hget(key('server:serverA:connections'), 'lastSync')) ?? '',
        );
        // DOWN is set first, then its connections are removed one by one: both within 15 s.
        await eventually(
          async () =>
            (await redis.hget(key('server:serverA:connections'), 'status')) === 'DOWN' &&
            (await redis.exists(key('client:E001:route'))) === 0 &&
            (await redis.hexists(key('server:serverA:connections'), 'client:E001')) === 0,
          'DOWN with its routes gone',
          20_000,
        );
        const after = Date.now() - lastSync;
        expect(after, 'ms from last heartbeat to DOWN and routes gone').to.be.below(15_000);
      } finally {
        server?.child.kill('SIGCONT');
      }
      await eventually(
        async () => (await redis.hget(key('server:serverA:connections'), 'status')) === 'ACTIVE',
        'ACTIVE',
        20_000,
      );
      // The socket survived the pause: its server's heartbeat restores the route.
      await eventually(routedTo('E001', 'serverA'), 'route restored', 20_000);
    });
  });

  describe('a server restarted while the broker still holds its queue', () => {
    it('retries RESOURCE_LOCKED with backoff, then serves, and replays what was routed meanwhile', async () => {
      const old = cluster.servers.get('serverA');
      const examinee = await cluster.login('serverA', 'E001', 'examinee');
      const supervisor = await cluster.login('serverB', 'S001', 'supervisor');
      await eventually(routedTo('E001', 'serverA'), 'route', 20_000);
      // The old process hangs: its connection (and so its exclusive queue) lingers.
      old?.process.child.kill('SIGSTOP');
      const port = await freePort();
      const replacement = startRole(
        'serverA',
        ['server', '--id', 'serverA', '--port', String(port)],
        cluster.env(),
      );
      try {
        await replacement.waitForLog(
          // Errors are logged as objects: amqplib's reply code is their `code`.
          (l) => l.msg === 'channel setup failed' && (l.err as { code?: unknown })?.code === 405,
        );
        expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).to.equal(503);
        // Routed now, this lands in the old, locked queue and dies with it.
        supervisor.change('locked-1', { targetExamineeId: 'E001', status: 'PAUSED' });
        await supervisor.next((f) => f.type === 'ack' && f.id === 'locked-1');
        await old?.process.stop('SIGKILL');
        await examinee.closed;
        await waitForHttp(`http://127.0.0.1:${port}/readyz`);
        const token = await cluster.token('E001', 'examinee');
        const back = cluster.keep(await TestClient.login(port, token, 0));
        const frame = await back.next((f) => f.type === 'status_change' && f.id === 'locked-1');
        expect(frame.data).to.include({ status: 'PAUSED' });
      } finally {
        await replacement.stop();
      }
    });
  });

  describe('graceful drain (SIGTERM)', () => {
    it('tells clients to reconnect, closes with 1001, and they resume elsewhere without loss', async () => {
      const first = await cluster.login('serverA', 'E001', 'examinee');
      const supervisor = await cluster.login('serverB', 'S001', 'supervisor');
      await eventually(routedTo('E001', 'serverA'), 'route', 20_000);
      let second: TestClient | undefined;
      let exitCode: Promise<number | null> | undefined;
      const moved = (async () => {
        await first.closed;
        const lastSeq = Math.max(0, ...first.of('status_change').map((f) => Number(f.seq)));
        second = await cluster.login('serverB', 'E001', 'examinee', { resume: lastSeq });
      })();
      const stream = await streamChanges(supervisor, {
        count: 500,
        targetExamineeId: 'E001',
        prefix: 'drain',
        strikes: [
          {
            name: 'drain',
            atAcked: 100,
            run: () => (exitCode = cluster.servers.get('serverA')?.process.stop('SIGTERM')),
          },
        ],
      });
      await moved;
      expect(first.frames.some((f) => f.type === 'reconnect')).to.equal(true);
      expect(first.closeCode).to.equal(1001);
      expect(await exitCode).to.equal(0);
      const frames: Frame[] = [...first.frames, ...(second?.frames ?? [])];
      await second?.count(
        (f) => f.type === 'status_change',
        500 - first.of('status_change').length,
        20_000,
      );
      const verdict = classify(frames, stream);
      report('graceful drain', stream, verdict);
      expect(verdict.lost).to.deep.equal([]);
      expect(verdict.duplicated).to.deep.equal([]);
      expect(verdict.outOfOrder).to.equal(0);
      await eventually(routedTo('E001', 'serverB'), 'route moved', 20_000);
    });
  });

  describe('poison messages', () => {
    async function publishRaw(body: Buffer, signed: boolean) {
      const names = createNames(cluster.namespace);
      const conn = await amqp.connect(AMQP_URL);
      const ch = await conn.createConfirmChannel();
      const headers = signed ? new BusSigner(TEST_SECRET).headers(body) : {};
      ch.publish(names.statusExchange, names.statusRoutingKey, body, { persistent: true, headers });
      await ch.waitForConfirms();
      await conn.close();
    }
    async function deadLetters(count: number) {
      const names = createNames(cluster.namespace);
      const conn = await amqp.connect(AMQP_URL);
      const ch = await conn.createChannel();
      const got: amqp.GetMessage[] = [];
      const deadline = Date.now() + 60_000;
      while (got.length < count && Date.now() < deadline) {
        const m = await ch.get(names.deadLetterQueue, { noAck: true });
        if (m) got.push(m);
        else await sleep(100);
      }
      await conn.close();
      return got;
    }

    it('dead-letters unsigned and invalid messages with the reason, without blocking the queue', async () => {
      const e1 = await cluster.login('serverA', 'E001', 'examinee');
      const s1 = await cluster.login('serverB', 'S001', 'supervisor');
      await eventually(routedTo('E001', 'serverA'), 'route', 20_000);
      await publishRaw(Buffer.from('{"type":"route_message"'), true);
      await publishRaw(Buffer.from(JSON.stringify({ type: 'sync_state', data: {} })), false);
      s1.change('after-poison', { targetExamineeId: 'E001', status: 'STARTED' });
      await s1.next((f) => f.type === 'ack' && f.id === 'after-poison');
      await e1.next((f) => f.type === 'status_change' && f.id === 'after-poison');
      const dead = await deadLetters(2);
      const reasons = dead.map((m) => String(m.properties.headers?.['x-relay-reason']));
      expect(reasons).to.have.length(2);
      expect(reasons.some((r) => r.startsWith('invalid message: not JSON'))).to.equal(true);
      expect(reasons).to.include('bad signature');
    });

    it('dead-letters a message that keeps failing after the delivery limit', async () => {
      const s1 = await cluster.login('serverB', 'S001', 'supervisor');
      await cluster.login('serverA', 'E009', 'examinee');
      const e10 = await cluster.login('serverA', 'E010', 'examinee');
      await eventually(routedTo('E009', 'serverA'), 'route', 20_000);
      await eventually(routedTo('E010', 'serverA'), 'route', 20_000);
      // Someone wrote the wrong type under the examinee's status key: applying fails each time.
      await redis.set(key('examinee:E009:status'), 'corrupt');
      s1.change('poison-1', { targetExamineeId: 'E009', status: 'ENDED' });
      s1.change('healthy-1', { targetExamineeId: 'E010', status: 'PAUSED' });
      await s1.next((f) => f.type === 'ack' && f.id === 'healthy-1');
      await e10.next((f) => f.type === 'status_change' && f.id === 'healthy-1');
      const [dead] = await deadLetters(1);
      const death = (
        dead?.properties.headers?.['x-death'] as { reason?: string }[] | undefined
      )?.[0];
      expect(death?.reason).to.equal('delivery_limit');
      expect(JSON.parse(dead?.content.toString() ?? '{}')).to.nested.include({
        'data.requestId': 'poison-1',
      });
      expect(s1.frames.some((f) => f.type === 'ack' && f.id === 'poison-1')).to.equal(false);
      expect(await redis.get(key('examinee:E009:status'))).to.equal('corrupt');
      expect(await redis.get(key('client:E009:seq'))).to.equal(null);
    });
  });
});
