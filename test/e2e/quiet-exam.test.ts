// Needs RabbitMQ and Redis running (AMQP_URL, REDIS_URL; localhost defaults) and a built
// dist/ (npm test builds first). Starts real exam-relay processes in a random namespace.
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { Cluster } from '../helpers/cluster.js';
import { dlqDepth, rawRedis } from '../helpers/env.js';
import { TestClient, type Frame } from '../helpers/ws-client.js';

/** The retention of this cluster's keys, in seconds, and a quiet spell longer than it. */
const RETENTION_SECONDS = 3;
const QUIET_MS = RETENTION_SECONDS * 1000 + 1500;

// An exam in which nothing happens for longer than the retention (a long break, a multi-day
// exam): every change after the break still reaches everyone, in seq order, and is acked,
// because an open connection's keys are kept from expiring; and a client that was away as long
// resumes where it was, because the numbering never restarts under the same epoch.
describe('an exam quiet for longer than the retention', function () {
  this.timeout(90_000);
  let cluster: Cluster;
  let redis: Redis;

  before(async () => {
    cluster = await Cluster.start({
      servers: ['serverA', 'serverB'],
      env: { HISTORY_RETENTION_SECONDS: String(RETENTION_SECONDS), HEARTBEAT_INTERVAL_MS: '500' },
    });
    redis = rawRedis();
  });
  after(async () => {
    redis.disconnect();
    await cluster.stop();
  });

  it('delivers, numbers and acks every change after each quiet spell, everyone connected', async () => {
    const token = (id: string, role: 'supervisor' | 'examinee') => cluster.token(id, role, 'EXAM1');
    const examinee = await TestClient.login(
      cluster.port('serverA'),
      await token('E001', 'examinee'),
    );
    const actor = await TestClient.login(
      cluster.port('serverB'),
      await token('S001', 'supervisor'),
    );
    const watcher = await TestClient.login(
      cluster.port('serverA'),
      await token('S002', 'supervisor'),
    );
    // The actor learns E001 is online from its snapshot or a presence: then it is registered.
    const online = (f: Frame) =>
      (f.type === 'presence' && JSON.stringify(f.data).includes('"clientId":"E001"')) ||
      (f.type === 'snapshot' && JSON.stringify(f.data).includes('"online":true'));
    await actor.next(online);

    const changes = [
      { id: 'quiet-1', data: { targetExamineeId: 'E001', status: 'STARTED' } },
      { id: 'quiet-2', data: { targetExamineeId: 'E001', status: 'PAUSED' } },
      { id: 'quiet-3', data: { examId: 'EXAM1', status: 'RESUMED' } },
      { id: 'quiet-4', data: { targetExamineeId: 'E001', status: 'ENDED' } },
    ];
    for (const [i, change] of changes.entries()) {
      if (i > 0) await new Promise((r) => setTimeout(r, QUIET_MS));
      actor.change(change.id, change.data);
      const reply = await actor.next(
        (f) => (f.type === 'ack' || f.type === 'error') && f.id === change.id,
        15_000,
      );
      expect(reply.type, `${change.id}: ${JSON.stringify(reply)}`).to.equal('ack');
      for (const client of [examinee, actor, watcher]) {
        await client.next((f) => f.type === 'status_change' && f.id === change.id, 15_000);
      }
    }

    const ids = changes.map((c) => c.id);
    for (const [name, client] of Object.entries({ examinee, actor, watcher })) {
      const frames = client.of('status_change');
      expect(
        frames.map((f) => f.id),
        `${name}: each change once, in order`,
      ).to.deep.equal(ids);
      const seqs = frames.map((f) => Number(f.seq));
      const first = seqs[0] ?? 0;
      expect(seqs, `${name}: seqs without gaps or restarts`).to.deep.equal(
        seqs.map((_, i) => first + i),
      );
      expect(client.of('resync'), `${name}: no resync`).to.deep.equal([]);
    }
    const ns = cluster.namespace;
    expect(await redis.smembers(`${ns}:exam:EXAM1:examinees`)).to.deep.equal(['E001']);
    expect((await redis.smembers(`${ns}:exam:EXAM1:supervisors`)).sort()).to.deep.equal([
      'S001',
      'S002',
    ]);
    expect(await redis.hkeys(`${ns}:client:E001:connections`)).to.deep.equal(['serverA']);
    expect(await redis.hget(`${ns}:examinee:E001:status`, 'status')).to.equal('ENDED');
    expect(await dlqDepth(ns)).to.equal(0);
  });

  it('resumes a client away for longer than the retention where it was, numbering on', async () => {
    const token = (id: string, role: 'supervisor' | 'examinee') => cluster.token(id, role, 'EXAM2');
    const stays = await TestClient.login(
      cluster.port('serverB'),
      await token('S201', 'supervisor'),
    );
    let examinee = await TestClient.login(cluster.port('serverA'), await token('E201', 'examinee'));
    let supervisor = await TestClient.login(
      cluster.port('serverA'),
      await token('S202', 'supervisor'),
    );
    await stays.next((f) => f.type === 'presence' && JSON.stringify(f.data).includes('E201'));
    stays.change('away-1', { targetExamineeId: 'E201', status: 'STARTED' });
    const seqOf = async (client: TestClient, id: string) =>
      Number((await client.next((f) => f.type === 'status_change' && f.id === id, 15_000)).seq);
    const examineeSeq = await seqOf(examinee, 'away-1');
    const supervisorSeq = await seqOf(supervisor, 'away-1');
    examinee.close();
    supervisor.close();
    await new Promise((r) => setTimeout(r, QUIET_MS));

    examinee = await TestClient.login(
      cluster.port('serverB'),
      await token('E201', 'examinee'),
      examineeSeq,
    );
    supervisor = await TestClient.login(
      cluster.port('serverB'),
      await token('S202', 'supervisor'),
      supervisorSeq,
    );
    for (const [client, seq] of [
      [examinee, examineeSeq],
      [supervisor, supervisorSeq],
    ] as const) {
      expect(client.of('welcome')[0]?.data, 'welcome').to.include({ lastSeq: seq });
    }
    // Back in the exam: the next change reaches both, numbered on from where they were.
    await stays.next(
      (f) =>
        f.type === 'presence' &&
        JSON.stringify(f.data).includes('"clientId":"E201","online":true,"serverId":"serverB"'),
    );
    stays.change('away-2', { targetExamineeId: 'E201', status: 'PAUSED' });
    const reply = await stays.next(
      (f) => (f.type === 'ack' || f.type === 'error') && f.id === 'away-2',
    );
    expect(reply.type, JSON.stringify(reply)).to.equal('ack');
    expect(await seqOf(examinee, 'away-2')).to.equal(examineeSeq + 1);
    expect(await seqOf(supervisor, 'away-2')).to.equal(supervisorSeq + 1);
    for (const client of [examinee, supervisor]) {
      expect(client.of('resync'), 'no resync').to.deep.equal([]);
      expect(
        client.of('status_change').map((f) => f.id),
        'nothing replayed',
      ).to.deep.equal(['away-2']);
    }
    expect(await dlqDepth(cluster.namespace)).to.equal(0);
  });
});
