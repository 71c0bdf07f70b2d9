// Needs Redis running (REDIS_URL, localhost default). Uses a random key namespace.
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { createRedisKeys, type RedisKeys } from '../../../src/shared/redis/keys.js';
import { EXAMINEES_PER_PART, type StateStore } from '../../../src/state-manager/state-store.js';
import { History } from '../../../src/server/history.js';
import type { StatusChangeData } from '../../../src/protocol/index.js';
import { cleanRedis, randomNamespace, rawRedis } from '../../helpers/env.js';
import { testStateStore } from '../../helpers/state-store.js';

describe('state-manager/StateStore exam-wide changes', () => {
  let redis: Redis;
  let namespace: string;
  let keys: RedisKeys;
  let store: StateStore;
  const count = EXAMINEES_PER_PART * 3 + 7;
  const ids = Array.from({ length: count }, (_, i) => `E${String(i).padStart(5, '0')}`);
  const data: StatusChangeData = {
    supervisorId: 'S001',
    examId: 'EXAM1',
    status: 'PAUSED',
    timestamp: '2024-01-01T09:00:00.000Z',
  };
  const trace = {
    sourceServer: 'serverA',
    stateManager: 'sm-1',
    processedAt: '2024-01-01T09:00:00.000Z',
  };
  const applyOnly = (requestId: string) =>
    store.applyStatusChange({
      requestId,
      examId: 'EXAM1',
      data,
      audience: { examinees: ids, supervisors: ['S001'] },
      trace,
    });
  /** Applies and waits for the request record, as the route does beside its publishes. */
  const apply = async (requestId: string) => {
    const outcome = await applyOnly(requestId);
    await outcome.recorded?.();
    return outcome;
  };
  const examinee = (clientId: string) => ({
    clientId,
    role: 'examinee' as const,
    examId: 'EXAM1',
    expiresAt: 0,
  });
  /** An examinee's history as its server replays it. */
  const frames = async (id: string, afterSeq = 0, limit?: number) =>
    (await new History(redis, keys).after(examinee(id), afterSeq, limit)).map(({ seq, text }) => {
      const frame = JSON.parse(text) as { seq: number; id: string; data: StatusChangeData };
      expect(frame.seq).to.equal(seq);
      return frame;
    });

  beforeEach(async () => {
    redis = rawRedis();
    namespace = randomNamespace();
    keys = createRedisKeys(namespace);
    store = testStateStore(redis, keys);
    await redis.hset(keys.clientConnections(ids[1] ?? ''), 'serverB', 'c1', 'serverA', 'c2');
  });
  afterEach(async () => {
    await cleanRedis(namespace);
    redis.disconnect();
  });

  it('gives every examinee of a multi-part exam one frame, its own, with seq 1', async () => {
    const outcome = await apply('m-1');
    expect(outcome.deliveries.map((d) => d.clientId)).to.deep.equal(ids);
    expect(outcome.deliveries.every((d) => d.seq === 1)).to.equal(true);
    expect(outcome.deliveries[1]?.servers.sort()).to.deep.equal(['serverA', 'serverB']);
    expect(outcome.examSeq).to.equal(1);
    for (const id of [ids[0], ids[EXAMINEES_PER_PART], ids[count - 1]]) {
      const [frame, ...more] = await frames(id ?? '');
      expect(more).to.deep.equal([]);
      expect(frame).to.deep.equal({
        type: 'status_change',
        seq: 1,
        id: 'm-1',
        data: { ...data, targetExamineeId: id },
      });
    }
    expect(await redis.hget(keys.examStatus('EXAM1'), 'status')).to.equal('PAUSED');
  });

  it('stops at a failing part and, retried, applies the rest once: no seq given twice', async () => {
    // An examinee of the second part whose seq key is not a counter: that part fails.
    const broken = ids[EXAMINEES_PER_PART + 3] ?? '';
    await redis.hset(keys.clientSeq(broken), 'not', 'a counter');
    const failure = await apply('m-1').then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(String(failure)).to.match(/WRONGTYPE/);
    // The first part applied; nothing of the failing one (the examinees before the broken one
    // were taken back) and nothing after it did.
    expect(await frames(ids[0] ?? '')).to.have.length(1);
    for (const id of ids.slice(EXAMINEES_PER_PART, EXAMINEES_PER_PART + 3)) {
      expect(await frames(id)).to.deep.equal([]);
      expect(await redis.exists(keys.clientSeq(id), keys.clientHistory(id))).to.equal(0);
    }
    expect(await frames(ids[EXAMINEES_PER_PART * 2] ?? '')).to.deep.equal([]);
    expect(await frames(ids[count - 1] ?? '')).to.deep.equal([]);
    expect(await redis.hexists(keys.request('S001', 'm-1'), 'ack')).to.equal(0);

    await redis.del(keys.clientSeq(broken));
    const outcome = await apply('m-1');
    expect(outcome.duplicate).to.equal(false);
    expect(outcome.deliveries.map((d) => [d.clientId, d.seq])).to.deep.equal(
      ids.map((id) => [id, 1]),
    );
    for (const id of [ids[0], broken, ids[count - 1]]) {
      expect((await frames(id ?? '')).map((f) => f.seq)).to.deep.equal([1]);
    }
    expect(await redis.get(keys.examSeq('EXAM1'))).to.equal('1');

    const again = await apply('m-1');
    expect(again.duplicate).to.equal(true);
    expect(again.deliveries).to.have.length(count);
    expect((await frames(ids[0] ?? '')).map((f) => f.seq)).to.deep.equal([1]);
  });

  it('applies nothing of a first part that fails, whatever key is broken, and the retry gives seq 1', async () => {
    const exists = (...k: string[]) => redis.exists(...k);
    const [before = '', notCounter = '', notHistory = ''] = [ids[3], ids[5], ids[7]];
    // A string that is not a number passes a type check but fails INCR; a history that is
    // not a sorted set fails ZADD after the examinee's INCR.
    await redis.set(keys.clientSeq(notCounter), 'abc');
    for (const broken of ['counter', 'history']) {
      if (broken === 'history') {
        await redis.del(keys.clientSeq(notCounter));
        await redis.set(keys.clientHistory(notHistory), 'not a sorted set');
      }
      const failure = await apply('m-1').then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(String(failure)).to.match(broken === 'counter' ? /not an integer/ : /WRONGTYPE/);
      expect(await exists(keys.clientSeq(before), keys.clientHistory(before))).to.equal(0);
      expect(await exists(keys.clientSeq(notHistory))).to.equal(0);
      expect(
        await exists(
          keys.examSeq('EXAM1'),
          keys.examHistory('EXAM1'),
          keys.examStatus('EXAM1'),
          keys.examWideFrames('EXAM1'),
        ),
      ).to.equal(0);
    }
    expect(await exists(keys.clientSeq(notCounter), keys.clientHistory(notCounter))).to.equal(0);
    await redis.del(keys.clientHistory(notHistory));
    const outcome = await apply('m-1');
    expect(outcome.examSeq).to.equal(1);
    expect(outcome.deliveries.every((d) => d.seq === 1)).to.equal(true);
    for (const id of [before, notCounter, notHistory]) {
      expect((await frames(id)).map((f) => [f.seq, f.id])).to.deep.equal([[1, 'm-1']]);
    }
  });

  it('writes the request record after the parts, and a retry that finds no record gets the same seqs', async () => {
    const first = await applyOnly('m-1');
    // Issued with the change: the next command on the connection finds it written.
    expect(await redis.hexists(keys.request('S001', 'm-1'), 'ack')).to.equal(1);
    await first.recorded?.();
    // As if the state manager had died between the parts and the record.
    await redis.hdel(keys.request('S001', 'm-1'), 'ack');
    const retry = await apply('m-1');
    expect(retry.duplicate).to.equal(false);
    expect(retry.deliveries.map((d) => [d.clientId, d.seq])).to.deep.equal(
      first.deliveries.map((d) => [d.clientId, d.seq]),
    );
    expect(retry.examSeq).to.equal(1);
    expect((await frames(ids[count - 1] ?? '')).map((f) => f.seq)).to.deep.equal([1]);
    expect(await redis.get(keys.examSeq('EXAM1'))).to.equal('1');
    const again = await applyOnly('m-1');
    expect(again.duplicate).to.equal(true);
  });

  it("keeps each examinee's and the exam's last historyMax frames (10 here), trimming only past it", async () => {
    const seqs = async (key: string) =>
      (await redis.zrange(key, 0, -1, 'WITHSCORES')).filter((_, i) => i % 2 === 1).map(Number);
    const upTo = (from: number, to: number) =>
      Array.from({ length: to - from + 1 }, (_, i) => from + i);
    for (let n = 1; n <= 10; n++) await apply(`m-${n}`);
    for (const id of [ids[0], ids[count - 1]]) {
      expect(await seqs(keys.clientHistory(id ?? ''))).to.deep.equal(upTo(1, 10));
    }
    expect(await seqs(keys.examHistory('EXAM1'))).to.deep.equal(upTo(1, 10));
    for (let n = 11; n <= 13; n++) {
      await apply(`m-${n}`);
      for (const id of [ids[0], ids[count - 1]]) {
        expect(await seqs(keys.clientHistory(id ?? ''))).to.deep.equal(upTo(n - 9, n));
      }
      expect(await seqs(keys.examHistory('EXAM1'))).to.deep.equal(upTo(n - 9, n));
      expect(await seqs(keys.examWideFrames('EXAM1'))).to.deep.equal(upTo(n - 9, n));
    }
    expect((await frames(ids[count - 1] ?? '')).map((f) => [f.seq, f.id])).to.deep.equal(
      upTo(4, 13).map((n) => [n, `m-${n}`]),
    );
  });

  it("stores an exam-wide change's frame once, and replays it in order with the examinee's targeted ones", async () => {
    const [first = '', second = ''] = ids;
    await redis.sadd(keys.examExaminees('EXAM1'), first);
    await apply('m-1');
    const targeted = {
      supervisorId: 'S001',
      targetExamineeId: first,
      status: 'STARTED' as const,
      timestamp: data.timestamp,
    };
    await store.applyTargeted({ requestId: 'm-2', examId: 'EXAM1', data: targeted, trace });
    await apply('m-3');
    // One 20-byte entry per examinee and change; the frame itself once per change.
    expect(await redis.zrange(keys.clientHistory(second), 0, -1)).to.deep.equal([
      'w:EXAM1:1',
      'w:EXAM1:3',
    ]);
    expect(await redis.zcard(keys.examWideFrames('EXAM1'))).to.equal(2);
    expect(await frames(first)).to.deep.equal([
      { type: 'status_change', seq: 1, id: 'm-1', data: { ...data, targetExamineeId: first } },
      { type: 'status_change', seq: 2, id: 'm-2', data: targeted },
      { type: 'status_change', seq: 3, id: 'm-3', data: { ...data, targetExamineeId: first } },
    ]);
    expect((await frames(second)).map((f) => [f.seq, f.id, f.data.targetExamineeId])).to.deep.equal(
      [
        [1, 'm-1', second],
        [2, 'm-3', second],
      ],
    );
    expect((await frames(first, 1)).map((f) => f.seq)).to.deep.equal([2, 3]);
  });

  it('leaves out a frame no longer kept, so the server sees the gap, and still fills the page', async () => {
    const id = ids[count - 1] ?? '';
    for (let n = 1; n <= 4; n++) await apply(`m-${n}`);
    await redis.zremrangebyscore(keys.examWideFrames('EXAM1'), 2, 2);
    expect((await frames(id)).map((f) => f.seq)).to.deep.equal([1, 3, 4]);
    // A page of two that lost an entry reads on to fill it.
    expect((await frames(id, 1, 2)).map((f) => f.seq)).to.deep.equal([3, 4]);
    await redis.del(keys.examWideFrames('EXAM1'));
    expect(await frames(id)).to.deep.equal([]);
  });
});
