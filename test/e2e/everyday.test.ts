// Needs RabbitMQ and Redis running (AMQP_URL, REDIS_URL; localhost defaults) and a built
// dist/ (npm test builds first). Starts real exam-relay processes in a random namespace.
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { Cluster } from '../helpers/cluster.js';
import { dlqDepth, rawRedis } from '../helpers/env.js';
import { TestClient, type Frame } from '../helpers/ws-client.js';
import { eventually, sleep } from '../helpers/eventually.js';

const isChange = (id: string) => (f: Frame) => f.type === 'status_change' && f.id === id;

describe('everyday situations (e2e)', function () {
  this.timeout(60_000);
  let cluster: Cluster;
  let redis: Redis;
  const key = (k: string) => `${cluster.namespace}:${k}`;
  const servers = async (clientId: string) =>
    (await redis.hkeys(key(`client:${clientId}:connections`))).sort();
  /** Waits until the state manager lists `clientId` connected to `count` servers. */
  const registered = (clientId: string, count = 1) =>
    eventually(
      async () => (await servers(clientId)).length === count,
      `${clientId} registered on ${count} server(s)`,
      15_000,
    );

  beforeEach(async () => {
    cluster = await Cluster.start({ servers: ['serverA', 'serverB'], stateManagers: 1 });
    redis = rawRedis();
  });
  afterEach(async () => {
    redis.disconnect();
    await cluster.stop();
  });

  it('delivers to both tabs of a supervisor on two servers, and keeps it online until both close', async () => {
    const e1 = await cluster.login('serverA', 'E001', 'examinee');
    const tabA = await cluster.login('serverA', 'S001', 'supervisor');
    const tabB = await cluster.login('serverB', 'S001', 'supervisor');
    const s2 = await cluster.login('serverB', 'S002', 'supervisor');
    await registered('S001', 2);
    await registered('S002');

    tabA.change('two-1', { examId: 'EXAM1', status: 'STARTED' });
    const [a, b, other] = await Promise.all([
      tabA.next(isChange('two-1')),
      tabB.next(isChange('two-1')),
      s2.next(isChange('two-1')),
    ]);
    expect(a.seq).to.equal(b.seq);
    expect(other.seq).to.equal(a.seq);
    await tabA.next((f) => f.type === 'ack' && f.id === 'two-1');
    expect((await e1.next(isChange('two-1'))).data).to.include({ status: 'STARTED' });

    // Closing one tab leaves the other live and the route in place.
    tabA.close();
    await eventually(async () => (await servers('S001')).length === 1, 'one tab left', 15_000);
    expect(await servers('S001')).to.deep.equal(['serverB']);
    expect(await redis.hget(key('client:S001:route'), 'serverId')).to.equal('serverB');
    s2.change('two-2', { targetExamineeId: 'E001', status: 'PAUSED' });
    const later = await tabB.next(isChange('two-2'));
    expect(later.seq).to.equal(Number(a.seq) + 1);

    // An examinee with two tabs is online until its last socket closes.
    const e1b = await cluster.login('serverB', 'E001', 'examinee');
    await eventually(
      async () => (await servers('E001')).length === 2,
      'E001 on two servers',
      15_000,
    );
    e1.close();
    await eventually(
      async () => (await servers('E001')).length === 1,
      'E001 on one server',
      15_000,
    );
    await sleep(300);
    expect(
      tabB.frames.filter(
        (f) => f.type === 'presence' && (f.data as { online: boolean }).online === false,
      ),
    ).to.have.length(0);
    e1b.close();
    const offline = await tabB.next(
      (f) => f.type === 'presence' && (f.data as { online: boolean }).online === false,
    );
    expect(offline.data).to.include({ clientId: 'E001' });
    await eventually(
      async () => (await redis.exists(key('client:E001:route'))) === 0,
      'E001 route gone',
      15_000,
    );
    expect(await dlqDepth(cluster.namespace)).to.equal(0);
  });

  it('tells a late examinee and a late supervisor where the exam stands', async () => {
    const e1 = await cluster.login('serverA', 'E001', 'examinee');
    const s1 = await cluster.login('serverB', 'S001', 'supervisor');
    await registered('E001');
    await registered('S001');
    s1.change('late-1', { examId: 'EXAM1', status: 'STARTED' });
    await s1.next((f) => f.type === 'ack' && f.id === 'late-1');
    s1.change('late-2', { targetExamineeId: 'E001', status: 'PAUSED' });
    await s1.next((f) => f.type === 'ack' && f.id === 'late-2');

    const e2 = await cluster.login('serverB', 'E002', 'examinee');
    const welcome = e2.frames.find((f) => f.type === 'welcome');
    expect((welcome?.data as { status: { status: string } | null }).status).to.include({
      status: 'STARTED',
      supervisorId: 'S001',
    });
    const again = await cluster.login('serverA', 'E001', 'examinee');
    expect(
      (again.frames.find((f) => f.type === 'welcome')?.data as { status: { status: string } })
        .status,
    ).to.include({ status: 'PAUSED' });

    const s2 = await cluster.login('serverA', 'S002', 'supervisor');
    const snapshot = await s2.next((f) => f.type === 'snapshot');
    const data = snapshot.data as {
      status: { status: string };
      examinees: { clientId: string; online: boolean; status: { status: string } | null }[];
      truncated: boolean;
    };
    expect(data.status).to.include({ status: 'STARTED' });
    expect(data.truncated).to.equal(false);
    const e001 = data.examinees.find((e) => e.clientId === 'E001');
    expect(e001?.online).to.equal(true);
    expect(e001?.status).to.include({ status: 'PAUSED' });
    expect(e1.frames.filter(isChange('late-2'))).to.have.length(1);
    expect(await redis.hget(key('exam:EXAM1:status'), 'status')).to.equal('STARTED');
    expect(await dlqDepth(cluster.namespace)).to.equal(0);
  });

  it('keeps delivering to a connected examinee after Redis is emptied, under a new epoch', async () => {
    const e1 = await cluster.login('serverA', 'E001', 'examinee');
    const s1 = await cluster.login('serverB', 'S001', 'supervisor');
    await registered('E001');
    await registered('S001');
    for (let i = 1; i <= 3; i++) {
      s1.change(`before-${i}`, { targetExamineeId: 'E001', status: 'STARTED' });
      await s1.next((f) => f.type === 'ack' && f.id === `before-${i}`);
    }
    await e1.next(isChange('before-3'));
    const epoch = (e1.frames.find((f) => f.type === 'welcome')?.data as { epoch: string }).epoch;

    // Redis comes back empty: every key of the namespace is gone.
    const keys = await redis.keys(key('*'));
    if (keys.length > 0) await redis.del(...keys);
    // Heartbeats restore the connections with their real identity and exam.
    await eventually(async () => (await servers('E001')).length === 1, 'E001 restored', 15_000);
    await eventually(async () => (await servers('S001')).length === 1, 'S001 restored', 15_000);
    expect(await redis.sismember(key('exam:EXAM1:examinees'), 'E001')).to.equal(1);

    s1.change('after-1', { targetExamineeId: 'E001', status: 'ENDED' });
    await s1.next((f) => f.type === 'ack' && f.id === 'after-1');
    const change = await e1.next(isChange('after-1'));
    expect(change.data).to.include({ status: 'ENDED' });
    const resync = e1.frames.find((f) => f.type === 'resync');
    expect((resync?.data as { epoch?: string }).epoch)
      .to.be.a('string')
      .and.not.equal(epoch);
    expect(e1.frames.some((f) => f.type === 'snapshot')).to.equal(true);
    expect(await redis.hget(key('examinee:E001:status'), 'status')).to.equal('ENDED');

    // A client resuming with the old epoch gets resync and a snapshot, not silence.
    const token = await cluster.token('E001', 'examinee', 'EXAM1');
    const resumed = cluster.keep(await TestClient.connect(cluster.port('serverB')));
    resumed.send({ type: 'hello', token, resume: { lastSeq: 3, epoch } });
    await resumed.next((f) => f.type === 'welcome');
    expect((await resumed.next((f) => f.type === 'resync')).data).to.have.property('epoch');
    await resumed.next((f) => f.type === 'snapshot');
    expect(await dlqDepth(cluster.namespace)).to.equal(0);
  });
});
