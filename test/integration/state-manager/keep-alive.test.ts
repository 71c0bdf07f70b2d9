// Needs Redis running (REDIS_URL, localhost default). Uses a random key namespace.
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { createRedisKeys } from '../../../src/shared/redis/keys.js';
import type { StateStore } from '../../../src/state-manager/state-store.js';
import type { ConnectionInfo } from '../../../src/protocol/index.js';
import { cleanRedis, randomNamespace, rawRedis } from '../../helpers/env.js';
import { E001, S001, testStateStore } from '../../helpers/state-store.js';

// The keys of an open connection expire `retentionSeconds` (60 here) after they were last
// written; keepAlive writes them again for connections the server still holds.
describe('state-manager/StateStore#keepAlive: open connections outlive the retention', () => {
  let redis: Redis;
  let namespace: string;
  let store: StateStore;
  const key = (k: string) => `${namespace}:${k}`;

  beforeEach(() => {
    redis = rawRedis();
    namespace = randomNamespace();
    store = testStateStore(redis, createRedisKeys(namespace));
  });
  afterEach(async () => {
    await cleanRedis(namespace);
    redis.disconnect();
  });

  const now = () => new Date().toISOString();
  const connect = (c: ConnectionInfo) =>
    store.connect({ ...c, serverId: 'serverA', at: now(), heardAt: now() });
  /** What expiry would have taken by now, had the retention passed. */
  const expired = [
    'client:E001:connections',
    'client:S001:connections',
    'exam:EXAM1:examinees',
    'exam:EXAM1:supervisors',
    'exam:EXAM1:supervisor-connections',
  ];

  it('writes back, with a fresh expiry, what an open connection needs to be routed to', async () => {
    await connect(E001);
    await connect(S001);
    await redis.del(...expired.map(key));

    expect(await store.keepAlive('serverA', [E001, S001])).to.equal(2);
    expect(await redis.hgetall(key('client:E001:connections'))).to.deep.equal({
      serverA: E001.connId,
    });
    expect(await redis.hgetall(key('client:S001:connections'))).to.deep.equal({
      serverA: S001.connId,
    });
    expect(await redis.smembers(key('exam:EXAM1:examinees'))).to.deep.equal(['E001']);
    expect(await redis.smembers(key('exam:EXAM1:supervisors'))).to.deep.equal(['S001']);
    expect(await redis.hgetall(key('exam:EXAM1:supervisor-connections'))).to.deep.equal({
      'serverA|S001': S001.connId,
    });
    for (const k of expired) {
      const ttl = await redis.ttl(key(k));
      expect(ttl, k).to.be.within(1, 60);
    }
  });

  it('leaves alone a connection that has closed, or that a newer one replaced', async () => {
    await connect(E001);
    await store.disconnect({
      clientId: 'E001',
      connId: E001.connId,
      serverId: 'serverA',
      at: now(),
    });
    const newer = { ...S001, connId: '33333333-3333-4333-8333-333333333333' };
    await connect(newer);
    await redis.del(...expired.map(key));

    expect(await store.keepAlive('serverA', [E001, S001])).to.equal(0);
    for (const k of expired) expect(await redis.exists(key(k)), k).to.equal(0);
  });

  it('keeps a connection on one server without touching what the client holds on another', async () => {
    await connect(E001);
    const elsewhere = '44444444-4444-4444-8444-444444444444';
    await store.connect({
      ...E001,
      connId: elsewhere,
      serverId: 'serverB',
      at: now(),
      heardAt: now(),
    });

    expect(await store.keepAlive('serverA', [E001])).to.equal(1);
    expect(await redis.hgetall(key('client:E001:connections'))).to.deep.equal({
      serverA: E001.connId,
      serverB: elsewhere,
    });
  });
});
