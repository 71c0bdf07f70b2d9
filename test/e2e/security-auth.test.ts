// Authentication and authorization end to end: hostile tokens, frames before hello, the hello
// timeout (a real 10 s wait), token expiry, roles and exams. Every case checks what the client
// sees and that Redis did not change. Needs RabbitMQ and Redis running (AMQP_URL, REDIS_URL;
// localhost defaults) and a built dist/ (npm test builds first). Starts real exam-relay
// processes in a random namespace.
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { Cluster } from '../helpers/cluster.js';
import { rawRedis, routed } from '../helpers/env.js';
import { TEST_SECRET, freePort, runCommand } from '../helpers/processes.js';
import { TestClient, type Frame } from '../helpers/ws-client.js';
import { hostileTokens } from '../unit/protocol/hostile-tokens.js';
import { settledSnapshot, sleep, snapshot, type Snapshot } from './security-support.js';
import { eventually } from '../helpers/eventually.js';

type Role = 'supervisor' | 'examinee';

describe('security: authentication and authorization', function () {
  this.timeout(60_000);
  let cluster: Cluster;
  let redis: Redis;
  const clients: { client: TestClient; id: string }[] = [];
  /** Opened first and never says hello: the server must close it after 10 s. */
  let idle: TestClient;
  let idleOpenedAt: number;
  const ns = () => cluster.namespace;

  async function login(server: string, id: string, role: Role, examId = 'EXAM1', ttl = 3600) {
    const client = await TestClient.login(
      cluster.port(server),
      await cluster.token(id, role, examId, ttl),
    );
    clients.push({ client, id });
    await routed(redis, ns(), id, server);
    return client;
  }

  /** A connection that sent `hello` with `token`; resolves with its close code and reason. */
  async function helloWith(
    token: string,
  ): Promise<{ code: number; reason: string; frames: Frame[] }> {
    const client = await TestClient.connect(cluster.port('serverA'));
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      client.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    client.send({ type: 'hello', token });
    return { ...(await closed), frames: client.frames };
  }

  async function unchangedSince(before: Snapshot): Promise<void> {
    await sleep(300); // anything the state manager would do has landed by now
    expect(await snapshot(redis, ns())).to.deep.equal(before);
  }

  before(async () => {
    cluster = await Cluster.start({ servers: ['serverA', 'serverB'] });
    redis = rawRedis();
    idle = await TestClient.connect(cluster.port('serverB'));
    idleOpenedAt = Date.now();
    // Everyone has joined their exam once, so later logins and logouts leave Redis as it is.
    for (const [id, role, exam] of [
      ['E001', 'examinee', 'EXAM1'],
      ['E002', 'examinee', 'EXAM1'],
      ['E900', 'examinee', 'EXAM2'],
      ['S001', 'supervisor', 'EXAM1'],
      ['S002', 'supervisor', 'EXAM1'],
      ['S900', 'supervisor', 'EXAM2'],
      ['S-EXP', 'supervisor', 'EXAM1'],
    ] as [string, Role, string][]) {
      const c = await login('serverA', id, role, exam);
      c.close();
      await routed(redis, ns(), id, undefined);
    }
  });
  afterEach(async () => {
    const closing = clients.splice(0);
    for (const { client } of closing) client.close();
    await Promise.all(closing.map(({ id }) => routed(redis, ns(), id, undefined)));
  });
  after(async () => {
    redis.disconnect();
    await cluster.stop();
  });

  describe('hello', () => {
    it('closes with 4401 "unauthorized" and nothing else for every hostile token, changing nothing', async () => {
      const before = await settledSnapshot(redis, ns());
      const tokens = await hostileTokens(TEST_SECRET);
      const results = await Promise.all(tokens.map((t) => helloWith(t.token)));
      results.forEach((r, i) => {
        const name = tokens[i]?.name;
        expect({ code: r.code, reason: r.reason }, name).to.deep.equal({
          code: 4401,
          reason: 'unauthorized',
        });
        expect(r.frames, name).to.deep.equal([]);
      });
      await unchangedSince(before);
    });

    it('closes with 4401 when any frame comes before hello, changing nothing', async () => {
      const before = await settledSnapshot(redis, ns());
      const token = await cluster.token('S001', 'supervisor');
      const firsts: (string | Buffer)[] = [
        JSON.stringify({
          type: 'status_change',
          id: 'pre-1',
          data: { examId: 'EXAM1', status: 'ENDED' },
        }),
        JSON.stringify({
          type: 'status_change',
          id: 'pre-2',
          token,
          data: { targetExamineeId: 'E001', status: 'ENDED' },
        }),
        JSON.stringify({ token }),
        JSON.stringify({ type: 'hello', token, extra: true }),
        'hello',
        Buffer.from(JSON.stringify({ type: 'hello', token })),
      ];
      for (const first of firsts) {
        const client = await TestClient.connect(cluster.port('serverA'));
        client.ws.send(first);
        client.send({ type: 'hello', token }); // too late
        expect(await client.closed, String(first)).to.equal(4401);
        expect(client.frames).to.deep.equal([]);
      }
      await unchangedSince(before);
    });

    it('closes with 4401 when the token expires, and ignores what the client sends after', async () => {
      const examinee = await login('serverB', 'E001', 'examinee');
      const token = await cluster.token('S-EXP', 'supervisor', 'EXAM1', 2);
      const exp = (
        JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as {
          exp: number;
        }
      ).exp;
      const supervisor = await TestClient.login(cluster.port('serverA'), token);
      await routed(redis, ns(), 'S-EXP', 'serverA');
      const before = await settledSnapshot(redis, ns());
      // Stop reading: the close frame stays unread and unanswered, as a hostile client would.
      supervisor.ws.pause();
      await eventually(() => Date.now() > exp * 1000 + 300, 'the token to expire', 5000);
      for (let i = 0; i < 10; i++) {
        supervisor.change(`late-${i}`, { targetExamineeId: 'E001', status: 'TERMINATED' });
        await sleep(50);
      }
      supervisor.ws.resume();
      expect(await supervisor.closed).to.equal(4401);
      expect(supervisor.of('ack')).to.deep.equal([]);
      await routed(redis, ns(), 'S-EXP', undefined);
      // The supervisor's own route came and went; nothing else may differ.
      const expected = structuredClone(before);
      delete expected[`${ns()}:client:S-EXP:route`];
      delete expected[`${ns()}:client:S-EXP:connections`];
      delete (expected[`${ns()}:server:serverA:connections`] as Record<string, string>)[
        'client:S-EXP'
      ];
      const index = `${ns()}:exam:EXAM1:supervisor-connections`;
      const indexed = expected[index] as Record<string, string>;
      expect(indexed).to.have.property('serverA|S-EXP');
      delete indexed['serverA|S-EXP'];
      if (Object.keys(indexed).length === 0) delete expected[index];
      expect(await snapshot(redis, ns())).to.deep.equal(expected);
      expect(await redis.keys(`${ns()}:request:S-EXP:*`)).to.deep.equal([]);
      expect(examinee.of('status_change')).to.deep.equal([]);
    });
  });

  describe('AUTH_SECRET', () => {
    it('refuses to start a server with a secret shorter than 32 bytes or none, naming it', async () => {
      const port = String(await freePort());
      const short = 'short-secret-of-31-bytes-xxxxxx';
      for (const secret of [short, '']) {
        const run = await runCommand(
          ['server', '--id', 'serverX', '--port', port],
          cluster.env({ AUTH_SECRET: secret }),
        );
        expect(run.code, run.stderr).to.equal(1);
        expect(run.stderr).to.include('AUTH_SECRET');
        expect(run.stderr + run.stdout).to.not.include(short);
      }
      const sm = await runCommand(['state-manager'], cluster.env({ AUTH_SECRET: short }));
      expect(sm.code).to.equal(1);
      expect(sm.stderr).to.include('AUTH_SECRET');
    });
  });

  describe('authorization', () => {
    it('answers FORBIDDEN to an examinee status_change and changes nothing', async () => {
      const e1 = await login('serverA', 'E001', 'examinee');
      const before = await settledSnapshot(redis, ns());
      e1.change('x-1', { targetExamineeId: 'E002', status: 'ENDED' });
      e1.change('x-2', { targetExamineeId: 'E001', status: 'ENDED' });
      e1.change('x-3', { examId: 'EXAM1', status: 'ENDED' });
      const errors = await e1.count((f) => f.type === 'error', 3);
      expect(errors.map((f) => [f.id, f.code, f.message])).to.deep.equal(
        ['x-1', 'x-2', 'x-3'].map((id) => [
          id,
          'FORBIDDEN',
          'not allowed: examinees cannot change status',
        ]),
      );
      await unchangedSince(before);
    });

    it('answers FORBIDDEN to a supervisor acting on another exam, by examId or by examinee, and changes nothing', async () => {
      await login('serverB', 'E001', 'examinee');
      const other = await login('serverA', 'S900', 'supervisor', 'EXAM2');
      const before = await settledSnapshot(redis, ns());
      other.change('o-1', { examId: 'EXAM1', status: 'ENDED' });
      other.change('o-2', { targetExamineeId: 'E001', status: 'ENDED' });
      other.change('o-3', { targetExamineeId: 'E-nobody', status: 'ENDED' });
      const errors = await other.count((f) => f.type === 'error', 3);
      expect(errors.map((f) => f.code)).to.deep.equal(['FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN']);
      expect(errors.map((f) => f.id).sort()).to.deep.equal(['o-1', 'o-2', 'o-3']);
      expect(other.of('ack')).to.deep.equal([]);
      await unchangedSince(before);
    });

    it('takes the acting supervisor from the token, never from the frame', async () => {
      const e1 = await login('serverB', 'E001', 'examinee');
      const s1 = await login('serverA', 'S001', 'supervisor');
      const s2 = await login('serverA', 'S002', 'supervisor');
      const before = await settledSnapshot(redis, ns());
      s1.change('f-1', { targetExamineeId: 'E001', status: 'ENDED', supervisorId: 'S999' });
      s1.send({
        type: 'status_change',
        id: 'f-2',
        supervisorId: 'S999',
        data: { targetExamineeId: 'E001', status: 'ENDED' },
      });
      s1.send({
        type: 'status_change',
        id: 'f-3',
        sourceServer: 'serverB',
        data: { examId: 'EXAM1', status: 'ENDED' },
      });
      const errors = await s1.count((f) => f.type === 'error', 3);
      expect(errors.map((f) => [f.id, f.code])).to.deep.equal([
        ['f-1', 'INVALID_MESSAGE'],
        ['f-2', 'INVALID_MESSAGE'],
        ['f-3', 'INVALID_MESSAGE'],
      ]);
      await unchangedSince(before);

      s1.change('shared-1', { targetExamineeId: 'E001', status: 'STARTED' });
      await s1.next((f) => f.type === 'ack' && f.id === 'shared-1');
      expect(await redis.hgetall(`${ns()}:examinee:E001:status`)).to.include({
        status: 'STARTED',
        supervisorId: 'S001',
      });
      const frame = await e1.next((f) => f.type === 'status_change' && f.id === 'shared-1');
      expect(frame.data).to.include({ supervisorId: 'S001' });
      // Request ids are scoped to the token's supervisor: S002 reusing S001's id is its own request.
      s2.change('shared-1', { targetExamineeId: 'E001', status: 'PAUSED' });
      const ack = await s2.next((f) => f.type === 'ack' && f.id === 'shared-1');
      expect(ack.data).to.include({ status: 'PAUSED' });
      expect(await redis.hgetall(`${ns()}:examinee:E001:status`)).to.include({
        status: 'PAUSED',
        supervisorId: 'S002',
      });
    });
  });

  describe('hello timeout', () => {
    it('closes with 4401 a connection that sends no hello within 10 s, changing nothing', async () => {
      const before = await settledSnapshot(redis, ns());
      const code = await idle.closed;
      const waited = Date.now() - idleOpenedAt;
      expect(code).to.equal(4401);
      expect(idle.frames).to.deep.equal([]);
      expect(waited).to.be.within(9_900, 11_500);
      await unchangedSince(before);
    });
  });
});
