// Needs RabbitMQ and Redis running (AMQP_URL, REDIS_URL; localhost defaults) and a built
// dist/ (npm test builds first). Starts real exam-relay processes in a random namespace.
//
// An exam of 20,000 examinees: 18,000 online on two servers (this process may hold fewer
// than 20,000 sockets), 2,000 who joined and left. One exam-wide change reaches all of them,
// a supervisor's snapshot lists the first 10,000, and a supervisor who was away while more
// than 1,000 changes were made gets every one of them back from the exam's stream.
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { Cluster } from '../helpers/cluster.js';
import { dlqDepth, rawRedis } from '../helpers/env.js';
import { TestClient, type Frame } from '../helpers/ws-client.js';

const EXAMINEES = 20_000;
const GONE = 2_000;
const CHANGES_AWAY = 1_200;
const BATCH = 500;
const ids = Array.from({ length: EXAMINEES }, (_, i) => `E${String(i).padStart(5, '0')}`);
const serverOf = (i: number) => (i % 2 === 0 ? 'serverA' : 'serverB');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('an exam of 20,000 examinees (e2e)', function () {
  this.timeout(600_000);
  let cluster: Cluster;
  let redis: Redis;
  const open: TestClient[] = [];
  const key = (k: string) => `${cluster.namespace}:${k}`;
  const until = async (what: string, check: () => boolean | Promise<boolean>, ms = 120_000) => {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(200);
    }
  };
  const login = async (i: number, resume?: number) => {
    const id = ids[i] ?? '';
    const client = await TestClient.login(
      cluster.port(serverOf(i)),
      await cluster.token(id, 'examinee'),
      resume,
    );
    open.push(client);
    return client;
  };
  const loginAll = async (from: number, to: number) => {
    const clients: TestClient[] = [];
    for (let i = from; i < to; i += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, to - i) }, (_, j) => login(i + j));
      clients.push(...(await Promise.all(batch)));
    }
    return clients;
  };
  const supervisor = async (id: string, server: string, resume?: number) => {
    const client = await TestClient.login(
      cluster.port(server),
      await cluster.token(id, 'supervisor'),
      resume,
    );
    open.push(client);
    return client;
  };
  const presence = (c: TestClient, online: boolean) =>
    c.frames.filter((f) => f.type === 'presence' && dataOf(f).online === online).length;

  before(async () => {
    cluster = await Cluster.start({
      servers: ['serverA', 'serverB'],
      env: { RATE_LIMIT_PER_SECOND: '100000', RATE_LIMIT_BURST: '100000' },
    });
    redis = rawRedis();
  });
  after(async () => {
    for (const c of open.splice(0)) c.close();
    redis.disconnect();
    await cluster.stop();
  });

  it('reaches every examinee, lists them in snapshots and replays a supervisor everything', async () => {
    const s1 = await supervisor('S001', 'serverA');
    const s2 = await supervisor('S002', 'serverB');
    const s2Seq = Number(dataOf(await s2.next((f) => f.type === 'welcome')).lastSeq);

    // 2,000 examinees join and leave; 18,000 more join and stay.
    for (const c of await loginAll(0, GONE)) c.close();
    await until('2,000 offline presences', () => presence(s1, false) >= GONE);
    const online = await loginAll(GONE, EXAMINEES);
    await until('20,000 online presences', () => presence(s1, true) >= EXAMINEES);

    // S002 leaves; the exam goes on without it.
    s2.close();
    await until(
      'S002 offline',
      async () => (await redis.exists(key('client:S002:connections'))) === 0,
    );

    s1.send({ type: 'status_change', id: 'wide-1', data: { examId: 'EXAM1', status: 'PAUSED' } });
    const wideAck = dataOf(await s1.next((f) => f.type === 'ack' && f.id === 'wide-1', 120_000));
    expect(wideAck.examinees).to.have.length(EXAMINEES);
    expect(new Set(wideAck.examinees as string[])).to.deep.equal(new Set(ids));
    // Acked, so stored: the request record a retry with the same id finds.
    const record = await redis.hgetall(key('request:S001:wide-1'));
    expect((JSON.parse(record.ack ?? '{}') as { examinees?: unknown[] }).examinees).to.have.length(
      EXAMINEES,
    );
    const recordedSeqs = new Set(record.seqs?.split(','));
    expect(ids.filter((id) => !recordedSeqs.has(`${id}:1`))).to.deep.equal([]);
    await until('every online examinee has the exam-wide change', () =>
      online.every((c) => c.frames.some((f) => f.type === 'status_change')),
    );
    online.forEach((c, j) => {
      const changes = c.of('status_change');
      expect(changes, ids[GONE + j]).to.have.length(1);
      expect(changes[0]).to.deep.include({ seq: 1, id: 'wide-1' });
      expect(dataOf(changes[0])).to.deep.include({
        targetExamineeId: ids[GONE + j],
        status: 'PAUSED',
        examId: 'EXAM1',
      });
    });

    // More than a per-client history's worth of changes while S002 is away.
    const targets = Array.from({ length: CHANGES_AWAY }, (_, n) => GONE + ((n * 7) % 1000));
    targets.forEach((i, n) =>
      s1.send({
        type: 'status_change',
        id: `t-${n}`,
        data: { targetExamineeId: ids[i], status: n % 2 === 0 ? 'STARTED' : 'RESUMED' },
      }),
    );
    await s1.count((f) => f.type === 'ack' && String(f.id).startsWith('t-'), CHANGES_AWAY, 120_000);
    expect(s1.of('error')).to.deep.equal([]);

    // S002 comes back: every change it missed, in order, and a snapshot of the first 10,000.
    const back = await supervisor('S002', 'serverA', s2Seq);
    const missed = await back.count((f) => f.type === 'status_change', CHANGES_AWAY + 1, 60_000);
    expect(missed.map((f) => f.seq)).to.deep.equal(
      Array.from({ length: CHANGES_AWAY + 1 }, (_, n) => s2Seq + 1 + n),
    );
    expect(missed.map((f) => f.id)).to.deep.equal(['wide-1', ...targets.map((_, n) => `t-${n}`)]);
    expect(back.of('resync')).to.deep.equal([]);
    const snapshot = dataOf(await back.next((f) => f.type === 'snapshot', 60_000));
    expect(snapshot.truncated).to.equal(true);
    expect(snapshot.status).to.deep.include({ status: 'PAUSED', supervisorId: 'S001' });
    const listed = snapshot.examinees as { clientId: string; online: boolean; status: unknown }[];
    expect(listed.map((e) => e.clientId)).to.deep.equal(ids.slice(0, 10_000));
    expect(listed[0]).to.deep.include({ online: false });
    expect(listed[0]?.status).to.deep.include({ status: 'PAUSED' });
    const lastFor = (i: number) => targets.lastIndexOf(i);
    const e2000 = listed[GONE];
    expect(e2000).to.deep.include({ online: true });
    expect(e2000?.status).to.deep.include({
      status: lastFor(GONE) % 2 === 0 ? 'STARTED' : 'RESUMED',
    });
    expect(listed[9_999]).to.deep.include({ online: true });
    expect(listed[9_999]?.status).to.deep.include({ status: 'PAUSED' });

    // An examinee who had left comes back: its welcome and its history have the change.
    const returning = await login(0, 0);
    expect(dataOf(await returning.next((f) => f.type === 'welcome')).status).to.deep.include({
      status: 'PAUSED',
    });
    const replayed = await returning.next((f) => f.type === 'status_change');
    expect(replayed).to.deep.include({ seq: 1, id: 'wide-1' });

    expect(await redis.hget(key('exam:EXAM1:status'), 'status')).to.equal('PAUSED');
    expect(await redis.scard(key('exam:EXAM1:examinees'))).to.equal(EXAMINEES);
    expect(await redis.get(key(`client:${ids[EXAMINEES - 1]}:seq`))).to.equal('1');
    expect(await dlqDepth(cluster.namespace), 'dead letters').to.equal(0);
  });
});

function dataOf(frame: Frame | undefined): Record<string, unknown> {
  const data = frame?.data;
  return typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {};
}
