// Needs RabbitMQ and Redis running (AMQP_URL, REDIS_URL; localhost defaults) and a built
// dist/ (npm test builds first). Starts real exam-relay processes in a random namespace.
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { Cluster } from '../helpers/cluster.js';
import { rawRedis, routed as routedIn } from '../helpers/env.js';
import { TestClient, type Frame } from '../helpers/ws-client.js';

const isChange = (id: string) => (f: Frame) => f.type === 'status_change' && f.id === id;

// The same behaviour with one state manager and with two sharing status_queue.
for (const stateManagers of [1, 2]) {
  describe(`seed scenario (SPEC §1), ${stateManagers} state manager(s)`, function () {
    this.timeout(60_000);
    let cluster: Cluster;
    let redis: Redis;
    const key = (k: string) => `${cluster.namespace}:${k}`;

    before(async () => {
      cluster = await Cluster.start({ servers: ['serverA', 'serverB'], stateManagers });
      redis = rawRedis();
    });
    afterEach(() => cluster.closeClients());
    after(async () => {
      redis.disconnect();
      await cluster.stop();
    });

    /** Waits until the state manager has registered the client's route. */
    const routed = (clientId: string, serverId: string) =>
      routedIn(redis, cluster.namespace, clientId, serverId);
    /** `routed` for every `{ clientId: serverId }` at once. */
    const routedAll = (routes: Record<string, string>) =>
      Promise.all(Object.entries(routes).map(([clientId, serverId]) => routed(clientId, serverId)));

    describe('exam-wide status change', () => {
      it('reaches E001 on serverA and E002 on serverB, acks S001, and stores the seed keys', async () => {
        const e1 = await cluster.login('serverA', 'E001', 'examinee');
        const e2 = await cluster.login('serverB', 'E002', 'examinee');
        const s1 = await cluster.login('serverB', 'S001', 'supervisor');
        await routedAll({ E001: 'serverA', E002: 'serverB', S001: 'serverB' });

        s1.change('m-1', { examId: 'EXAM1', status: 'STARTED' });

        const ack = await s1.next((f) => f.type === 'ack' && f.id === 'm-1');
        const a = ack.data as {
          status: string;
          examinees: string[];
          delivered: string[];
          pending: string[];
        };
        expect(a.status).to.equal('STARTED');
        expect(a.examinees).to.deep.equal(['E001', 'E002']);
        expect(a.delivered).to.deep.equal(['E001', 'E002']);
        expect(a.pending).to.deep.equal([]);

        const f1 = await e1.next(isChange('m-1'));
        expect(f1.seq).to.equal(1);
        expect(f1.data).to.include({
          supervisorId: 'S001',
          targetExamineeId: 'E001',
          status: 'STARTED',
        });
        const f2 = await e2.next(isChange('m-1'));
        expect(f2.data).to.include({
          supervisorId: 'S001',
          targetExamineeId: 'E002',
          status: 'STARTED',
        });
        const copy = await s1.next(isChange('m-1'));
        expect(copy.data).to.include({ supervisorId: 'S001', examId: 'EXAM1', status: 'STARTED' });

        expect(await redis.hgetall(key('client:E001:route'))).to.include({ serverId: 'serverA' });
        expect(await redis.hget(key('client:E001:route'), 'lastConnection')).to.match(
          /^\d{4}-\d\d-\d\dT/,
        );
        const connections = await redis.hgetall(key('server:serverA:connections'));
        expect(connections).to.have.property('client:E001');
        expect(connections).to.include({ status: 'ACTIVE' });
        expect(connections.lastSync).to.match(/^\d{4}-\d\d-\d\dT/);
        // An exam-wide change is stored once, on the exam (O(1) in the exam's size).
        expect(await redis.hgetall(key('exam:EXAM1:status'))).to.include({
          status: 'STARTED',
          supervisorId: 'S001',
        });
        expect(await redis.exists(key('examinee:E001:status'))).to.equal(0);
      });
    });

    describe('targeted status change', () => {
      it('reaches only its examinee and the exam supervisors', async () => {
        const e1 = await cluster.login('serverA', 'E001', 'examinee');
        const e2 = await cluster.login('serverB', 'E002', 'examinee');
        const s1 = await cluster.login('serverB', 'S001', 'supervisor');
        const s2 = await cluster.login('serverA', 'S002', 'supervisor');
        await routedAll({ E001: 'serverA', E002: 'serverB', S002: 'serverA' });

        s1.change('t-1', { targetExamineeId: 'E001', status: 'PAUSED' });

        await s1.next((f) => f.type === 'ack' && f.id === 't-1');
        expect((await e1.next(isChange('t-1'))).data).to.include({
          targetExamineeId: 'E001',
          status: 'PAUSED',
        });
        expect((await s2.next(isChange('t-1'))).data).to.include({
          supervisorId: 'S001',
          status: 'PAUSED',
        });
        // E002 is on the same server as S001; if it were sent anything it would be there by now.
        await s1.next(isChange('t-1'));
        await new Promise((r) => setTimeout(r, 300));
        expect(e2.frames.filter(isChange('t-1'))).to.have.length(0);
        expect(await redis.hget(key('examinee:E001:status'), 'status')).to.equal('PAUSED');
        expect(await redis.exists(key('examinee:E002:status'))).to.equal(0);
      });
    });

    describe('roles', () => {
      it('answers FORBIDDEN to an examinee status_change and changes nothing', async () => {
        const e1 = await cluster.login('serverA', 'E001', 'examinee');
        const before = await redis.hgetall(key('examinee:E002:status'));
        e1.change('x-1', { targetExamineeId: 'E002', status: 'ENDED' });
        const error = await e1.next((f) => f.type === 'error' && f.id === 'x-1');
        expect(error.code).to.equal('FORBIDDEN');
        expect(await redis.hgetall(key('examinee:E002:status'))).to.deep.equal(before);
      });

      it('answers FORBIDDEN to a supervisor acting on another exam', async () => {
        const other = await cluster.login('serverA', 'S900', 'supervisor', { examId: 'EXAM2' });
        other.change('x-2', { targetExamineeId: 'E001', status: 'ENDED' });
        expect((await other.next((f) => f.type === 'error' && f.id === 'x-2')).code).to.equal(
          'FORBIDDEN',
        );
        other.change('x-3', { examId: 'EXAM1', status: 'ENDED' });
        expect((await other.next((f) => f.type === 'error' && f.id === 'x-3')).code).to.equal(
          'FORBIDDEN',
        );
        expect(await redis.hget(key('examinee:E001:status'), 'status')).to.not.equal('ENDED');
      });
    });

    describe('idempotent request ids', () => {
      it('applies and delivers a repeated id once, and acks each time', async () => {
        const e1 = await cluster.login('serverA', 'E001', 'examinee');
        const s1 = await cluster.login('serverB', 'S001', 'supervisor');
        await routed('E001', 'serverA');
        const seqBefore = Number(await redis.get(key('client:E001:seq')));

        s1.change('dup-1', { targetExamineeId: 'E001', status: 'RESUMED' });
        await s1.next((f) => f.type === 'ack' && f.id === 'dup-1');
        s1.change('dup-1', { targetExamineeId: 'E001', status: 'ENDED' });
        await s1.count((f) => f.type === 'ack' && f.id === 'dup-1', 2);

        await new Promise((r) => setTimeout(r, 300));
        expect(e1.frames.filter(isChange('dup-1'))).to.have.length(1);
        expect(Number(await redis.get(key('client:E001:seq')))).to.equal(seqBefore + 1);
        expect(await redis.hget(key('examinee:E001:status'), 'status')).to.equal('RESUMED');
        const acks = s1.frames.filter((f) => f.type === 'ack' && f.id === 'dup-1');
        expect(acks.map((a) => (a.data as { status: string }).status)).to.deep.equal([
          'RESUMED',
          'RESUMED',
        ]);
      });
    });

    describe('presence', () => {
      it('tells the exam supervisors when an examinee comes and goes', async () => {
        const s1 = await cluster.login('serverB', 'S001', 'supervisor');
        await routed('S001', 'serverB');
        const e3 = await cluster.login('serverA', 'E003', 'examinee');
        const online = await s1.next(
          (f) => f.type === 'presence' && (f.data as { clientId: string }).clientId === 'E003',
        );
        expect(online.data).to.deep.equal({ clientId: 'E003', online: true, serverId: 'serverA' });
        e3.close();
        const offline = await s1.next((f) => {
          const d = f.data as { clientId: string; online: boolean } | undefined;
          return f.type === 'presence' && d?.clientId === 'E003' && !d.online;
        });
        expect(offline.data).to.deep.equal({
          clientId: 'E003',
          online: false,
          serverId: 'serverA',
        });
      });
    });

    describe('resume', () => {
      it('replays what came after lastSeq, in order, before anything new', async () => {
        const s1 = await cluster.login('serverB', 'S001', 'supervisor');
        const e5 = await cluster.login('serverA', 'E005', 'examinee');
        await routed('E005', 'serverA');
        for (const [i, status] of ['READY', 'STARTED', 'PAUSED'].entries()) {
          s1.change(`r-${i}`, { targetExamineeId: 'E005', status });
          await s1.next((f) => f.type === 'ack' && f.id === `r-${i}`);
        }
        const first = (await e5.next(isChange('r-0'))).seq as number;
        e5.close();
        const back = await cluster.login('serverB', 'E005', 'examinee', { resume: first });
        const replayed = await back.count((f) => f.type === 'status_change', 2);
        expect(replayed.map((f) => f.id)).to.deep.equal(['r-1', 'r-2']);
        expect(replayed.map((f) => f.seq)).to.deep.equal([first + 1, first + 2]);
      });

      it('says resync when lastSeq is beyond anything stored', async () => {
        const fresh = await cluster.login('serverA', 'E404', 'examinee');
        fresh.close();
        const client = await cluster.login('serverA', 'E404', 'examinee', { resume: 999 });
        expect((client.frames[0]?.data as { lastSeq: number }).lastSeq).to.equal(0);
        expect((await client.next((f) => f.type === 'resync')).data).to.deep.equal({
          fromSeq: 0,
          toSeq: 999,
        });
      });
    });

    describe('pipelined frames', () => {
      it('handles a status_change sent right after hello, before the welcome arrives', async () => {
        const e1 = await cluster.login('serverA', 'E001', 'examinee');
        await routed('E001', 'serverA');
        const s1 = cluster.keep(await TestClient.connect(cluster.port('serverB')));
        s1.send({ type: 'hello', token: await cluster.token('S001', 'supervisor') });
        s1.change('early-1', { targetExamineeId: 'E001', status: 'READY' });
        await s1.next((f) => f.type === 'ack' && f.id === 'early-1');
        expect(s1.frames[0]?.type).to.equal('welcome');
        await e1.next(isChange('early-1'));
      });
    });

    describe('authentication', () => {
      it('closes with 4401 on a bad token', async () => {
        const client = await TestClient.connect(cluster.port('serverA'));
        client.send({ type: 'hello', token: 'not-a-jwt' });
        expect(await client.closed).to.equal(4401);
      });

      it('closes with 4401 when the first frame is not hello', async () => {
        const client = await TestClient.connect(cluster.port('serverA'));
        client.change('a', { examId: 'EXAM1', status: 'STARTED' });
        expect(await client.closed).to.equal(4401);
      });
    });
  });
}
