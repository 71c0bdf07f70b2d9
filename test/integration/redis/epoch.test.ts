// Needs Redis running (REDIS_URL, localhost default). Uses a random key namespace. The
// failover cases (a replica promoted, with and without REDIS_WAIT_REPLICAS) run for real in
// test/e2e/faults/sentinel.test.ts; here the stamp is set by hand to what another primary
// would have left.
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { EPOCH_INLINE, newEpochId, readEpoch } from '../../../src/shared/redis/commands.js';
import { createRedisKeys } from '../../../src/shared/redis/keys.js';
import { cleanRedis, randomNamespace, rawRedis } from '../../helpers/env.js';

interface EpochCommand {
  testEpochOf(key: string, candidate: string, durable: string): Promise<string>;
}

describe('shared/redis epoch (epochOf)', () => {
  let redis: Redis;
  let namespace: string;
  let key: string;
  let replid: string;
  let replid2: string;

  const epochOf = (durable: boolean, candidate = newEpochId()) =>
    (redis as unknown as EpochCommand).testEpochOf(key, candidate, durable ? '1' : '0');
  const stored = () => redis.hgetall(key);

  before(async () => {
    const probe = rawRedis();
    const info = await probe.info('replication');
    probe.disconnect();
    replid = /master_replid:(\w+)/.exec(info)?.[1] ?? '';
    replid2 = /master_replid2:(\w+)/.exec(info)?.[1] ?? '';
    expect(replid).to.match(/^[0-9a-f]{40}$/);
  });
  beforeEach(() => {
    redis = rawRedis();
    redis.defineCommand('testEpochOf', {
      numberOfKeys: 1,
      lua: `${EPOCH_INLINE}\nreturn epochOf(KEYS[1], ARGV[1], ARGV[2] == '1')`,
    });
    namespace = randomNamespace();
    key = createRedisKeys(namespace).epoch();
  });
  afterEach(async () => {
    await cleanRedis(namespace);
    redis.disconnect();
  });

  it("creates an epoch stamped with this primary's replication id, then keeps it", async () => {
    const first = await epochOf(false, 'aaaaaaaa');
    expect(first).to.equal('aaaaaaaa');
    expect(await stored()).to.deep.equal({ id: 'aaaaaaaa', replid });
    expect(await epochOf(false, 'bbbbbbbb')).to.equal('aaaaaaaa');
    expect(await epochOf(true, 'cccccccc')).to.equal('aaaaaaaa');
  });

  it('changes the epoch when another primary stamped it (counters may have gone back)', async () => {
    await redis.hset(key, 'id', 'aaaaaaaa', 'replid', 'f'.repeat(40));
    expect(await epochOf(false, 'bbbbbbbb')).to.equal('bbbbbbbb');
    expect(await stored()).to.deep.equal({ id: 'bbbbbbbb', replid });
  });

  it('changes it with durable too when this primary was not promoted from a replica of that one', async () => {
    // replid2 is this primary's previous id (all zeros unless it was promoted): not 'f…f'.
    expect(replid2).to.not.equal('f'.repeat(40));
    await redis.hset(key, 'id', 'aaaaaaaa', 'replid', 'f'.repeat(40));
    expect(await epochOf(true, 'bbbbbbbb')).to.equal('bbbbbbbb');
  });

  it('stamps an epoch written before stamps existed, keeping it', async () => {
    await redis.hset(key, 'id', 'aaaaaaaa');
    expect(await epochOf(false, 'bbbbbbbb')).to.equal('aaaaaaaa');
    expect(await stored()).to.deep.equal({ id: 'aaaaaaaa', replid });
  });

  it("readEpoch creates a stamped epoch but never moves another primary's", async () => {
    const created = await readEpoch(redis, key);
    expect(await stored()).to.deep.equal({ id: created, replid });
    await redis.hset(key, 'replid', 'f'.repeat(40));
    expect(await readEpoch(redis, key)).to.equal(created);
    expect((await stored()).replid).to.equal('f'.repeat(40));
  });
});
