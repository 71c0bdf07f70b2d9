// Needs RabbitMQ and Redis running (AMQP_URL, REDIS_URL; localhost defaults) and a built
// dist/ (npm test builds first). Starts real exam-relay processes in a random namespace.
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { Cluster } from '../helpers/cluster.js';
import { rawRedis } from '../helpers/env.js';
import { TestClient, type Frame } from '../helpers/ws-client.js';

const CHANGES = 600;
const STATUSES = ['STARTED', 'PAUSED', 'RESUMED'] as const;

/** Inversions of `ids` against the order `order-0`, `order-1`, … they were sent in. */
function inversions(ids: string[]): number {
  const n = ids.map((id) => Number(id.slice('order-'.length)));
  return n.filter((v, i) => i > 0 && v < (n[i - 1] ?? 0)).length;
}

// One supervisor pipelines 600 changes to one examinee; whatever the number of state
// managers, everyone sees them in the order sent and the stored status is the last.
for (const stateManagers of [1, 2, 3]) {
  describe(`per-exam order, ${stateManagers} state manager(s)`, function () {
    this.timeout(120_000);
    let cluster: Cluster;
    let redis: Redis;

    before(async () => {
      cluster = await Cluster.start({
        servers: ['serverA', 'serverB'],
        stateManagers,
        env: { RATE_LIMIT_PER_SECOND: '100000', RATE_LIMIT_BURST: '100000' },
      });
      redis = rawRedis();
    });
    after(async () => {
      redis.disconnect();
      await cluster.stop();
    });

    it(`applies ${CHANGES} pipelined changes in the order they were sent`, async () => {
      const token = (id: string, role: 'supervisor' | 'examinee') =>
        cluster.token(id, role, 'EXAM1');
      const examinee = await TestClient.login(
        cluster.port('serverA'),
        await token('E001', 'examinee'),
      );
      const supervisor = await TestClient.login(
        cluster.port('serverB'),
        await token('S001', 'supervisor'),
      );
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        const [e, s] = await Promise.all([
          redis.exists(`${cluster.namespace}:client:E001:route`),
          redis.exists(`${cluster.namespace}:client:S001:route`),
        ]);
        if (e && s) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      for (let i = 0; i < CHANGES; i++) {
        supervisor.change(`order-${i}`, {
          targetExamineeId: 'E001',
          status: STATUSES[i % STATUSES.length],
        });
      }
      const isOrder = (f: Frame) => f.type === 'status_change' && String(f.id).startsWith('order-');
      await examinee.count(isOrder, CHANGES, 90_000);
      await supervisor.count(isOrder, CHANGES, 90_000);
      await supervisor.count((f) => f.type === 'ack', CHANGES, 90_000);
      for (const client of [examinee, supervisor]) {
        const frames = client.frames.filter(isOrder);
        const seqs = frames.map((f) => Number(f.seq));
        expect(frames.length, 'frames').to.equal(CHANGES);
        expect(new Set(frames.map((f) => f.id)).size, 'duplicates').to.equal(CHANGES);
        expect(inversions(frames.map((f) => String(f.id))), 'inversions').to.equal(0);
        expect(
          seqs.every((s, i) => i === 0 || s === (seqs[i - 1] ?? 0) + 1),
          'gaps',
        ).to.equal(true);
      }
      const last = STATUSES[(CHANGES - 1) % STATUSES.length];
      expect(await redis.hget(`${cluster.namespace}:examinee:E001:status`, 'status')).to.equal(
        last,
      );
      expect(await redis.hget(`${cluster.namespace}:examinee:E001:status`, 'requestId')).to.equal(
        `order-${CHANGES - 1}`,
      );
      console.log(
        `      [order] ${stateManagers} SM: ${CHANGES} sent, ${CHANGES} delivered to each, 0 inversions`,
      );
      examinee.close();
      supervisor.close();
    });
  });
}
