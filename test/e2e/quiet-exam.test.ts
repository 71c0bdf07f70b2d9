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

// An exam whose clients stay connected while nothing happens for longer than the retention
// (a long break, a multi-day exam): every change after the break still reaches everyone, in
// seq order, and is acked, because an open connection's keys are kept from expiring and the
// exam's numbering never restarts under the same epoch.
describe('an exam quiet for longer than the retention, with everyone connected', function () {
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

  it('delivers, numbers and acks every change after each quiet spell', async () => {
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
});
