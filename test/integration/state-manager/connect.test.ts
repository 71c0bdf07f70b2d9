// Needs Redis running (REDIS_URL, localhost default). Uses a random key namespace.
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { createRedisKeys } from '../../../src/shared/redis/keys.js';
import type { StateStore } from '../../../src/state-manager/state-store.js';
import { cleanRedis, randomNamespace, rawRedis } from '../../helpers/env.js';
import { testStateStore } from '../../helpers/state-store.js';

describe('state-manager/StateStore#connect: who came online', () => {
  let redis: Redis;
  let namespace: string;
  let store: StateStore;

  beforeEach(() => {
    redis = rawRedis();
    namespace = randomNamespace();
    store = testStateStore(redis, createRedisKeys(namespace));
  });
  afterEach(async () => {
    await cleanRedis(namespace);
    redis.disconnect();
  });

  const connect = (serverId: string, connId: string) =>
    store.connect({
      clientId: 'E001',
      role: 'examinee',
      examId: 'EXAM1',
      connId,
      serverId,
      at: new Date().toISOString(),
      heardAt: new Date().toISOString(),
    });
  const A = '11111111-1111-4111-8111-111111111111';
  const B = '22222222-2222-4222-8222-222222222222';

  it('goes online with the first connection, not with a second one elsewhere', async () => {
    expect((await connect('serverA', A))?.wentOnline).to.equal(true);
    expect((await connect('serverB', B))?.wentOnline).to.equal(false);
  });

  it('goes online again when the same connect is applied again (a redelivery whose presence was never routed)', async () => {
    expect((await connect('serverA', A))?.wentOnline).to.equal(true);
    expect((await connect('serverA', A))?.wentOnline).to.equal(true);
  });

  it('stays online, without announcing it again, when a newer socket on the same server comes before the old one is reported gone', async () => {
    expect((await connect('serverA', A))?.wentOnline).to.equal(true);
    expect((await connect('serverA', B))?.wentOnline).to.equal(false);
  });
});
