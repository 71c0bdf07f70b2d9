// Needs Redis running (REDIS_URL, localhost default), a primary with no replicas (as the
// machine's Redis is). Uses a random key namespace. WAIT with a real replica runs in
// test/e2e/faults/sentinel.test.ts.
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { createRedisKeys } from '../../../src/shared/redis/keys.js';
import { ReplicaWait, ReplicaWaitError } from '../../../src/shared/redis/replica-wait.js';
import { cleanRedis, randomNamespace, rawRedis } from '../../helpers/env.js';

describe('shared/redis/ReplicaWait', () => {
  let redis: Redis;
  let namespace: string;
  let fence: string;

  beforeEach(async () => {
    redis = rawRedis();
    await redis.ping();
    namespace = randomNamespace();
    fence = createRedisKeys(namespace).waitFence();
  });
  afterEach(async () => {
    await cleanRedis(namespace);
    redis.disconnect();
  });

  it('fails, as a retryable error, when fewer replicas than asked for acknowledge in time', async () => {
    const wait = new ReplicaWait(redis, fence, 1, 50);
    const err = await wait.confirm(wait.mark()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(ReplicaWaitError);
    expect((err as ReplicaWaitError).retryable).to.equal(true);
    expect((err as Error).message).to.include('0 of 1');
    expect(await redis.get(fence), 'the fence was written').to.equal('1');
    wait.close();
  });

  it('confirms when the replicas asked for are there (none asked for here)', async () => {
    const wait = new ReplicaWait(redis, fence, 0, 50);
    await wait.confirm(wait.mark());
    wait.close();
  });

  it('shares one fence and WAIT among the callers that finish while one is in flight', async () => {
    const wait = new ReplicaWait(redis, fence, 0, 50);
    await Promise.all(Array.from({ length: 10 }, () => wait.confirm(wait.mark())));
    // The first goes at once; the nine that came while it was in flight share the next.
    expect(await redis.get(fence)).to.equal('2');
    await wait.confirm(wait.mark());
    expect(await redis.get(fence)).to.equal('3');
    wait.close();
  });

  it('fails when the connection was replaced after mark: the reply speaks for another connection', async () => {
    const wait = new ReplicaWait(redis, fence, 0, 50);
    const mark = wait.mark();
    const ready = new Promise((resolve) => redis.once('ready', resolve));
    redis.disconnect(true);
    await ready;
    const err = await wait.confirm(mark).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(ReplicaWaitError);
    expect((err as Error).message).to.include('connection changed');
    await wait.confirm(wait.mark());
    wait.close();
  });
});
