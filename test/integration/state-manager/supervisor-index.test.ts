// Needs Redis running (REDIS_URL, localhost default). Uses a random key namespace.
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { createRedisKeys, type RedisKeys } from '../../../src/shared/redis/keys.js';
import { SupervisorConnectionField } from '../../../src/shared/redis/records.js';
import type { StateStore } from '../../../src/state-manager/state-store.js';
import { cleanRedis, randomNamespace, rawRedis } from '../../helpers/env.js';
import { testStateStore } from '../../helpers/state-store.js';

describe("state-manager/StateStore: an exam's supervisor connections, routed in one read", () => {
  let redis: Redis;
  let namespace: string;
  let keys: RedisKeys;
  let store: StateStore;
  const index = () => redis.hgetall(keys.examSupervisorConnections('EXAM1'));
  const at = () => new Date().toISOString();

  beforeEach(() => {
    redis = rawRedis();
    namespace = randomNamespace();
    keys = createRedisKeys(namespace);
    store = testStateStore(redis, keys);
  });
  afterEach(async () => {
    await cleanRedis(namespace);
    redis.disconnect();
  });

  const connect = (clientId: string, serverId: string, connId: string, examId = 'EXAM1') =>
    store.connect({
      clientId,
      role: clientId.startsWith('S') ? 'supervisor' : 'examinee',
      examId,
      connId,
      serverId,
      at: at(),
      heardAt: at(),
    });
  const disconnect = (clientId: string, serverId: string, connId: string) =>
    store.disconnect({ clientId, serverId, connId, at: at() });
  const change = (requestId: string, supervisorId = 'S001') =>
    store.applyTargeted({
      requestId,
      examId: 'EXAM1',
      data: { supervisorId, status: 'STARTED', targetExamineeId: 'E001', timestamp: at() },
      trace: { sourceServer: 'serverA', stateManager: 'sm-test', processedAt: at() },
    });

  it('holds one field per supervisor socket server, and nothing for examinees', async () => {
    await connect('E001', 'serverA', 'e1');
    await connect('S001', 'serverA', 's1a');
    await connect('S001', 'serverB', 's1b');
    await connect('S002', 'serverB', 's2');
    await connect('S003', 'serverC', 's3', 'EXAM2');
    expect(await index()).to.deep.equal({
      [SupervisorConnectionField.encode('serverA', 'S001')]: 's1a',
      [SupervisorConnectionField.encode('serverB', 'S001')]: 's1b',
      [SupervisorConnectionField.encode('serverB', 'S002')]: 's2',
    });
    expect(await redis.ttl(keys.examSupervisorConnections('EXAM1'))).to.be.within(1, 60);
    expect((await store.supervisorServers('EXAM1')).sort()).to.deep.equal(['serverA', 'serverB']);
    expect(await store.supervisorServers('EXAM2')).to.deep.equal(['serverC']);
  });

  it("routes a change to every supervisor's servers and records each one's route", async () => {
    await connect('E001', 'serverA', 'e1');
    await connect('S001', 'serverA', 's1a');
    await connect('S002', 'serverB', 's2');
    await connect('S002', 'serverC', 's2c');
    const outcome = await change('m-1');
    expect(outcome?.supervisorServers.sort()).to.deep.equal(['serverA', 'serverB', 'serverC']);
    const routes = (await redis.hget(keys.request('S001', 'm-1'), 'routes'))?.split(',') ?? [];
    expect(routes[0]).to.equal('E001:serverA');
    expect(routes.slice(1).sort()).to.have.members(['S001:serverA', 'S002:serverB']);
    // The same request again is answered from its record, with the routes as they are now.
    await disconnect('S002', 'serverB', 's2');
    await disconnect('S002', 'serverC', 's2c');
    const again = await change('m-1');
    expect(again?.duplicate).to.equal(true);
    expect(again?.supervisorServers).to.deep.equal(['serverA']);
  });

  it("reaches the acting supervisor's other sockets even when it is no member of the exam's", async () => {
    await connect('E001', 'serverA', 'e1');
    await connect('S009', 'serverD', 's9', 'EXAM2');
    const outcome = await change('m-2', 'S009');
    expect(outcome?.supervisorServers).to.deep.equal(['serverD']);
  });

  it('loses a field only when that socket server holds no socket of the supervisor any more', async () => {
    await connect('S001', 'serverA', 's1a');
    await connect('S001', 'serverB', 's1b');
    // A stale disconnect (an older connection on serverA) changes nothing.
    await disconnect('S001', 'serverA', 'older');
    expect(Object.keys(await index()).sort()).to.deep.equal(['serverA|S001', 'serverB|S001']);
    await disconnect('S001', 'serverA', 's1a');
    expect(await index()).to.deep.equal({ 'serverB|S001': 's1b' });
    expect(await store.supervisorServers('EXAM1')).to.deep.equal(['serverB']);
    await disconnect('S001', 'serverB', 's1b');
    expect(await redis.exists(keys.examSupervisorConnections('EXAM1'))).to.equal(0);
    expect(await store.supervisorServers('EXAM1')).to.deep.equal([]);
  });

  it('is rebuilt by the reconciliation of a heartbeat after Redis lost it', async () => {
    await connect('S001', 'serverA', 's1a');
    await cleanRedis(namespace);
    const taken = at();
    const restored = await store.connect(
      {
        clientId: 'S001',
        role: 'supervisor',
        examId: 'EXAM1',
        connId: 's1a',
        serverId: 'serverA',
        at: taken,
        heardAt: at(),
      },
      taken,
    );
    expect(restored).to.not.equal(undefined);
    expect(await index()).to.deep.equal({ 'serverA|S001': 's1a' });
  });
});
