// Needs Redis running (REDIS_URL, localhost default). Uses a random key namespace.
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { createRedisKeys } from '../../../src/shared/redis/keys.js';
import { StateStore } from '../../../src/state-manager/state-store.js';
import { ServerRegistry } from '../../../src/state-manager/server-registry.js';
import { cleanRedis, randomNamespace, rawRedis } from '../../helpers/env.js';

describe('state-manager/ServerRegistry', () => {
  let redis: Redis;
  let namespace: string;
  let servers: ServerRegistry;
  const key = (k: string) => `${namespace}:${k}`;
  const later = () => new Date(Date.now() + 60_000);

  beforeEach(() => {
    redis = rawRedis();
    namespace = randomNamespace();
    const keys = createRedisKeys(namespace);
    servers = new ServerRegistry(
      redis,
      keys,
      new StateStore(redis, keys, { retentionSeconds: 60, historyMax: 10 }),
    );
  });
  afterEach(async () => {
    await cleanRedis(namespace);
    redis.disconnect();
  });

  describe('#heartbeat', () => {
    it('registers the server ACTIVE and restores a connection Redis lacked, with a route', async () => {
      const result = await servers.heartbeat('serverA', ['E001'], new Date().toISOString());
      expect(result.restored).to.deep.equal([{ clientId: 'E001', seq: 0 }]);
      expect(await redis.hget(key('server:serverA:connections'), 'status')).to.equal('ACTIVE');
      expect(await redis.hexists(key('server:serverA:connections'), 'client:E001')).to.equal(1);
      expect(await redis.hget(key('client:E001:route'), 'serverId')).to.equal('serverA');
    });

    it('drops a connection the server no longer lists, but not one newer than the heartbeat', async () => {
      const before = new Date(Date.now() - 1000).toISOString();
      await servers.heartbeat('serverA', ['E001'], before);
      await redis.hset(
        key('server:serverA:connections'),
        'client:E002',
        new Date(Date.now() + 1000).toISOString(),
      );
      const result = await servers.heartbeat('serverA', [], new Date().toISOString());
      expect(result.offline.map((o) => o.clientId)).to.deep.equal(['E001']);
      expect(await redis.exists(key('client:E001:route'))).to.equal(0);
      expect(await redis.hexists(key('server:serverA:connections'), 'client:E002')).to.equal(1);
    });
  });

  describe('#markSilentServersDown', () => {
    it('marks a silent server DOWN once, removing its routes', async () => {
      await servers.heartbeat('serverA', ['E001'], new Date().toISOString());
      const down = await servers.markSilentServersDown(later());
      expect(down.map((d) => d.serverId)).to.deep.equal(['serverA']);
      expect(await redis.hget(key('server:serverA:connections'), 'status')).to.equal('DOWN');
      expect(await redis.exists(key('client:E001:route'))).to.equal(0);
      expect(await servers.markSilentServersDown(later())).to.deep.equal([]);
    });
  });

  describe('#forgetRetired', () => {
    it('forgets servers DOWN since before the cutoff and keeps the others', async () => {
      await servers.heartbeat('serverA', [], new Date().toISOString());
      await servers.heartbeat('serverB', [], new Date().toISOString());
      await redis.hset(key('server:serverA:connections'), 'status', 'DOWN');
      expect(await servers.forgetRetired(new Date(Date.now() - 60_000))).to.deep.equal([]);
      expect(await servers.forgetRetired(later())).to.deep.equal(['serverA']);
      expect(await redis.smembers(key('servers'))).to.deep.equal(['serverB']);
      expect(await redis.exists(key('server:serverA:connections'))).to.equal(0);
    });
  });
});
