// Needs Redis running (REDIS_URL, localhost default). Uses a random key namespace.
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { createRedisKeys } from '../../../src/shared/redis/keys.js';
import type { StateStore } from '../../../src/state-manager/state-store.js';
import { ServerRegistry } from '../../../src/state-manager/server-registry.js';
import { SCAN_PAGE } from '../../../src/shared/redis/scan.js';
import { cleanRedis, randomNamespace, rawRedis } from '../../helpers/env.js';
import { E001, testStateStore } from '../../helpers/state-store.js';

describe('state-manager/ServerRegistry', () => {
  let redis: Redis;
  let namespace: string;
  let servers: ServerRegistry;
  let store: StateStore;
  const key = (k: string) => `${namespace}:${k}`;
  const later = () => new Date(Date.now() + 60_000);

  beforeEach(() => {
    redis = rawRedis();
    namespace = randomNamespace();
    const keys = createRedisKeys(namespace);
    store = testStateStore(redis, keys);
    servers = new ServerRegistry(redis, keys, store, 60_000);
  });
  afterEach(async () => {
    await cleanRedis(namespace);
    redis.disconnect();
  });

  const now = () => new Date().toISOString();
  const at = (takenAt = now()) => ({ takenAt, heardAt: now() });
  const connect = (takenAt = now()) =>
    store.connect({ ...E001, serverId: 'serverA', at: takenAt, heardAt: now() });

  describe('#heartbeat', () => {
    it('registers the server ACTIVE and reports a connection Redis lacks as missing', async () => {
      const result = await servers.heartbeat('serverA', [E001], at());
      expect(result.missing).to.deep.equal([E001]);
      expect(await redis.hget(key('server:serverA:connections'), 'status')).to.equal('ACTIVE');
      expect(await redis.sismember(key('servers'), 'serverA')).to.equal(1);
    });

    it('keeps the connections Redis has alive on the first heartbeat, then not until due', async () => {
      await connect();
      await redis.del(key('client:E001:connections'), key('exam:EXAM1:examinees'));
      expect((await servers.heartbeat('serverA', [E001], at())).keptAlive).to.equal(1);
      expect(await redis.hgetall(key('client:E001:connections'))).to.deep.equal({
        serverA: E001.connId,
      });
      expect(await redis.smembers(key('exam:EXAM1:examinees'))).to.deep.equal(['E001']);
      expect((await servers.heartbeat('serverA', [E001], at())).keptAlive).to.equal(0);
      const often = new ServerRegistry(redis, createRedisKeys(namespace), store, 0);
      expect((await often.heartbeat('serverA', [E001], at())).keptAlive).to.equal(1);
      expect((await often.heartbeat('serverA', [E001], at())).keptAlive).to.equal(1);
    });

    it('tries keeping connections alive again at the next heartbeat after it failed', async () => {
      await connect();
      await redis.set(key('client:E001:connections'), 'not a hash');
      let failure: unknown;
      await servers.heartbeat('serverA', [E001], at()).catch((err: unknown) => (failure = err));
      expect(String(failure)).to.include('WRONGTYPE');
      await redis.del(key('client:E001:connections'));
      expect((await servers.heartbeat('serverA', [E001], at())).keptAlive).to.equal(1);
    });

    it('reports nothing missing for a connection Redis has with the same connId', async () => {
      await connect();
      const result = await servers.heartbeat('serverA', [E001], at());
      expect(result.missing).to.deep.equal([]);
      expect(result.offline).to.deep.equal([]);
    });

    it('drops a connection the server no longer lists, but not one newer than the heartbeat', async () => {
      const before = new Date(Date.now() - 1000).toISOString();
      await connect(before);
      await store.connect({
        ...E001,
        clientId: 'E002',
        connId: '22222222-2222-4222-8222-222222222222',
        serverId: 'serverA',
        at: new Date(Date.now() + 1000).toISOString(),
        heardAt: now(),
      });
      const result = await servers.heartbeat('serverA', [], at());
      expect(result.offline.map((o) => o.clientId)).to.deep.equal(['E001']);
      expect(await redis.exists(key('client:E001:route'))).to.equal(0);
      expect(await redis.exists(key('client:E001:connections'))).to.equal(0);
      expect(await redis.hexists(key('server:serverA:connections'), 'client:E002')).to.equal(1);
    });
  });

  describe('#markSilentServersDown', () => {
    it('marks a silent server DOWN once, removing its connections and routes', async () => {
      await connect();
      await servers.heartbeat('serverA', [E001], at());
      const down = await servers.markSilentServersDown(later().toISOString(), now());
      expect(down.map((d) => d.serverId)).to.deep.equal(['serverA']);
      expect(down[0]?.offline.map((o) => o.clientId)).to.deep.equal(['E001']);
      expect(await redis.hget(key('server:serverA:connections'), 'status')).to.equal('DOWN');
      expect(await redis.exists(key('client:E001:route'))).to.equal(0);
      expect(await servers.markSilentServersDown(later().toISOString(), now())).to.deep.equal([]);
    });

    it('leaves a server heard after the cutoff ACTIVE', async () => {
      await servers.heartbeat('serverA', [], at());
      const cutoff = new Date(Date.now() - 60_000).toISOString();
      expect(await servers.markSilentServersDown(cutoff, now())).to.deep.equal([]);
      expect(await redis.hget(key('server:serverA:connections'), 'status')).to.equal('ACTIVE');
    });
  });

  describe('#forgetRetired', () => {
    it('forgets servers DOWN since before the cutoff and keeps the others', async () => {
      await servers.heartbeat('serverA', [], at());
      await servers.heartbeat('serverB', [], at());
      await redis.hset(key('server:serverA:connections'), 'status', 'DOWN');
      expect(await servers.forgetRetired(new Date(Date.now() - 60_000))).to.deep.equal([]);
      expect(await servers.forgetRetired(later())).to.deep.equal(['serverA']);
      expect(await redis.smembers(key('servers'))).to.deep.equal(['serverB']);
      expect(await redis.exists(key('server:serverA:connections'))).to.equal(0);
    });
  });

  // The server's hash is read in pages of SCAN_PAGE fields: these cases hold more than one.
  describe('with more connections than one page of the hash', () => {
    const count = SCAN_PAGE + 500;
    const clients = Array.from({ length: count }, (_, i) => ({
      ...E001,
      clientId: `E${String(i).padStart(5, '0')}`,
      connId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    }));
    const before = () => new Date(Date.now() - 1000).toISOString();

    beforeEach(async () => {
      const takenAt = before();
      for (const c of clients) {
        await store.connect({ ...c, serverId: 'serverA', at: takenAt, heardAt: now() });
      }
    });

    it('finds every connection at a heartbeat and drops only the one the server left', async () => {
      const all = await servers.heartbeat('serverA', clients, at());
      expect(all).to.include({ keptAlive: count });
      expect(all.missing).to.deep.equal([]);
      expect(all.offline).to.deep.equal([]);
      const left = clients[SCAN_PAGE + 7];
      const result = await servers.heartbeat(
        'serverA',
        clients.filter((c) => c !== left),
        at(),
      );
      expect(result.missing).to.deep.equal([]);
      expect(result.offline.map((o) => o.clientId)).to.deep.equal([left?.clientId]);
      expect(await redis.hlen(key('server:serverA:connections'))).to.be.at.least(count - 1);
    });

    it('lists every connection in the sync_state snapshot, and removes all when DOWN', async () => {
      await servers.heartbeat('serverA', clients, at());
      const snapshot = await servers.snapshot();
      expect(snapshot.serverA?.connections).to.deep.equal(clients.map((c) => c.clientId));
      const [down] = await servers.markSilentServersDown(later().toISOString(), now());
      expect(down?.offline).to.have.length(count);
      const fields = await redis.hkeys(key('server:serverA:connections'));
      expect(fields.filter((f) => f.startsWith('client:'))).to.deep.equal([]);
    });
  });
});
