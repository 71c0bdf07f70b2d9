// Needs Redis running (REDIS_URL, localhost default). Uses a random key namespace.
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { readHash, readSet } from '../../../src/shared/redis/scan.js';
import { cleanRedis, randomNamespace, rawRedis } from '../../helpers/env.js';

describe('shared/redis readSet and readHash: big collections in pages', () => {
  let redis: Redis;
  let namespace: string;
  const key = (k: string) => `${namespace}:${k}`;
  // More than Redis keeps in one compact listpack (128), so SCAN really pages.
  const ids = Array.from({ length: 2500 }, (_, i) => `E${String(i).padStart(5, '0')}`);

  beforeEach(() => {
    redis = rawRedis();
    namespace = randomNamespace();
  });
  afterEach(async () => {
    await cleanRedis(namespace);
    redis.disconnect();
  });

  it('reads every member of a set once, as SMEMBERS does, in pages of any size', async () => {
    await redis.sadd(key('set'), ...ids);
    const whole = (await redis.smembers(key('set'))).sort();
    for (const count of [1, 100, 1000, 10_000]) {
      const members = await readSet(redis, key('set'), count);
      expect(members).to.have.length(ids.length);
      expect(members.sort()).to.deep.equal(whole);
    }
  });

  it('reads every field of a hash with its value, as HGETALL does', async () => {
    await redis.hset(
      key('hash'),
      Object.fromEntries(ids.map((id, i) => [`client:${id}`, `c${i}`])),
    );
    const whole = await redis.hgetall(key('hash'));
    for (const count of [7, 1000]) {
      expect(await readHash(redis, key('hash'), count)).to.deep.equal(whole);
    }
  });

  it('reads a missing key as empty, and a field named __proto__ as a field', async () => {
    expect(await readSet(redis, key('none'))).to.deep.equal([]);
    expect(await readHash(redis, key('none'))).to.deep.equal({});
    await redis.hset(key('odd'), '__proto__', 'x', 'status', 'ACTIVE');
    const hash = await readHash(redis, key('odd'));
    expect(Object.keys(hash).sort()).to.deep.equal(['__proto__', 'status']);
    expect(Object.getPrototypeOf(hash)).to.equal(Object.prototype);
  });

  it('fails as the command does on a key of another type', async () => {
    await redis.set(key('string'), 'x');
    let failure: unknown;
    await readSet(redis, key('string')).catch((err: unknown) => (failure = err));
    expect(String(failure)).to.include('WRONGTYPE');
  });
});
