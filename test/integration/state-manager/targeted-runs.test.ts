// Needs Redis running (REDIS_URL, localhost default). Uses a random key namespace.
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { createRedisKeys, type RedisKeys } from '../../../src/shared/redis/keys.js';
import type { StateStore } from '../../../src/state-manager/state-store.js';
import { TARGETED_PER_CALL } from '../../../src/state-manager/scripts.js';
import type { ExamineeStatus } from '../../../src/protocol/index.js';
import { cleanRedis, randomNamespace, rawRedis } from '../../helpers/env.js';
import { testStateStore } from '../../helpers/state-store.js';

describe('state-manager/StateStore: runs of changes to one examinee each, sent together', () => {
  let redis: Redis;
  let namespace: string;
  let keys: RedisKeys;
  let store: StateStore;
  const at = () => new Date().toISOString();
  const examinees = ['E001', 'E002', 'E003'];

  beforeEach(async () => {
    redis = rawRedis();
    namespace = randomNamespace();
    keys = createRedisKeys(namespace);
    store = testStateStore(redis, keys);
    await connect('S001', 'serverB', 's1');
    for (const id of examinees) await connect(id, 'serverA', `c-${id}`);
  });
  afterEach(async () => {
    await cleanRedis(namespace);
    redis.disconnect();
  });

  function connect(clientId: string, serverId: string, connId: string) {
    return store.connect({
      clientId,
      role: clientId.startsWith('S') ? 'supervisor' : 'examinee',
      examId: 'EXAM1',
      connId,
      serverId,
      at: at(),
      heardAt: at(),
    });
  }
  function change(requestId: string, targetExamineeId: string, status: ExamineeStatus = 'STARTED') {
    return store.applyTargeted({
      requestId,
      examId: 'EXAM1',
      data: { supervisorId: 'S001', status, targetExamineeId, timestamp: at() },
      trace: { sourceServer: 'serverB', stateManager: 'sm-test', processedAt: at() },
    });
  }
  /** Settles each promise: its value, or the error it failed with. */
  const settle = <T>(runs: Promise<T>[]) =>
    Promise.all(
      runs.map((p) =>
        p.then(
          (value): T | Error => value,
          (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
        ),
      ),
    );
  const examFrames = async () =>
    (await redis.zrange(keys.examHistory('EXAM1'), 0, -1)).map((text) => {
      const frame = JSON.parse(text) as { seq: number; id: string };
      return [frame.seq, frame.id];
    });

  it('applies a run longer than one call in the order it was issued', async () => {
    const count = TARGETED_PER_CALL * 2 + 5;
    const outcomes = await settle(
      store.batched(() =>
        Array.from({ length: count }, (_, i) => change(`m-${i}`, examinees[i % 3] ?? '')),
      ),
    );
    const applied = outcomes.map((o) => (o instanceof Error ? undefined : o));
    expect(applied.map((o) => o?.examSeq)).to.deep.equal(
      Array.from({ length: count }, (_, i) => i + 1),
    );
    // Each examinee's own seqs count up in the same order.
    expect(applied.filter((_, i) => i % 3 === 0).map((o) => o?.deliveries[0]?.seq)).to.deep.equal(
      Array.from({ length: Math.ceil(count / 3) }, (_, i) => i + 1),
    );
    expect(applied.every((o) => o?.supervisorServers.join() === 'serverB')).to.equal(true);
    expect(applied.every((o) => o?.deliveries[0]?.servers.join() === 'serverA')).to.equal(true);
    expect(await redis.get(keys.examSeq('EXAM1'))).to.equal(String(count));
    // Set once per call, the expiries hold for every key the run wrote but the counters, which
    // never expire: a numbering that restarted under the same epoch would read as duplicates.
    expect(await redis.ttl(keys.examSeq('EXAM1'))).to.equal(-1);
    for (const key of [
      keys.examHistory('EXAM1'),
      ...examinees.map((id) => keys.clientHistory(id)),
      keys.request('S001', `m-${count - 1}`),
    ]) {
      expect(await redis.ttl(key), key).to.be.within(1, 60);
    }
    expect(await redis.hget(keys.request('S001', `m-${count - 1}`), 'seqs')).to.equal(
      `${examinees[(count - 1) % 3] ?? ''}:${Math.ceil(count / 3)},S001:${count}`,
    );
  });

  it('answers each change of a run by itself: refused, failed, repeated or applied', async () => {
    // Someone wrote the wrong type under E002's status key: its change must write nothing.
    await redis.set(keys.examineeStatus('E002'), 'corrupt');
    const [first, outsider, broken, repeated, last] = await settle(
      store.batched(() => [
        change('m-1', 'E001'),
        change('m-2', 'E999'),
        change('m-3', 'E002'),
        change('m-1', 'E001', 'PAUSED'),
        change('m-4', 'E003'),
      ]),
    );
    expect(first).to.nested.include({ duplicate: false, examSeq: 1 });
    expect(outsider).to.equal(undefined);
    expect(String(broken)).to.match(/WRONGTYPE/);
    // The same request id again within the run: answered from the record the run just wrote.
    expect(repeated).to.nested.include({ duplicate: true, examSeq: 1, 'data.status': 'STARTED' });
    expect(last).to.nested.include({ duplicate: false, examSeq: 2 });
    expect(await examFrames()).to.deep.equal([
      [1, 'm-1'],
      [2, 'm-4'],
    ]);
    expect(await redis.exists(keys.clientSeq('E002'), keys.clientHistory('E002'))).to.equal(0);
    expect(await redis.get(keys.examineeStatus('E002'))).to.equal('corrupt');
    expect(await redis.exists(keys.request('S001', 'm-3'))).to.equal(0);
    expect(await redis.hget(keys.examineeStatus('E003'), 'status')).to.equal('STARTED');
  });

  it('writes nothing of a change whose counter is not a number, and the retry gives the next seqs', async () => {
    await redis.set(keys.clientSeq('E001'), 'abc');
    const [failed] = await settle([change('m-1', 'E001')]);
    expect(String(failed)).to.match(/not an integer/);
    await redis.set(keys.clientSeq('E001'), '4');
    await redis.set(keys.examSeq('EXAM1'), 'abc');
    const [again] = await settle([change('m-1', 'E001')]);
    expect(String(again)).to.match(/not an integer/);
    // The examinee's INCR was taken back when the exam's failed.
    expect(await redis.get(keys.clientSeq('E001'))).to.equal('4');
    expect(await redis.exists(keys.examHistory('EXAM1'), keys.clientHistory('E001'))).to.equal(0);
    expect(await redis.exists(keys.examineeStatus('E001'))).to.equal(0);

    await redis.del(keys.examSeq('EXAM1'));
    const outcome = await change('m-1', 'E001');
    expect(outcome).to.nested.include({ duplicate: false, examSeq: 1, 'deliveries[0].seq': 5 });
  });

  it("gives each actor of a run its own audience: one outside the exam's supervisors sees its change", async () => {
    await connect('S002', 'serverC', 's2');
    // S009 supervises another exam from serverD: not one of EXAM1's supervisors.
    await store.connect({
      clientId: 'S009',
      role: 'supervisor',
      examId: 'EXAM2',
      connId: 's9',
      serverId: 'serverD',
      at: at(),
      heardAt: at(),
    });
    const by = (supervisorId: string, requestId: string) =>
      store.applyTargeted({
        requestId,
        examId: 'EXAM1',
        data: { supervisorId, status: 'STARTED', targetExamineeId: 'E001', timestamp: at() },
        trace: { sourceServer: 'serverB', stateManager: 'sm-test', processedAt: at() },
      });
    const outcomes = await settle(
      store.batched(() => [
        by('S001', 'm-1'),
        by('S009', 'm-2'),
        by('S002', 'm-3'),
        by('S001', 'm-4'),
      ]),
    );
    const servers = outcomes.map((o) =>
      o instanceof Error ? [] : [...o!.supervisorServers].sort(),
    );
    expect(servers).to.deep.equal([
      ['serverB', 'serverC'],
      ['serverB', 'serverC', 'serverD'],
      ['serverB', 'serverC'],
      ['serverB', 'serverC'],
    ]);
    const record = async (supervisorId: string, requestId: string) => {
      const [seqs, routes] = await redis.hmget(
        keys.request(supervisorId, requestId),
        'seqs',
        'routes',
      );
      return { seqs: (seqs ?? '').split(',').sort(), routes: (routes ?? '').split(',').sort() };
    };
    expect(await record('S009', 'm-2')).to.deep.equal({
      seqs: ['E001:2', 'S001:2', 'S002:2', 'S009:2'],
      routes: ['E001:serverA', 'S001:serverB', 'S002:serverC', 'S009:serverD'],
    });
    for (const [actor, id, seq] of [
      ['S002', 'm-3', 3],
      ['S001', 'm-4', 4],
    ] as const) {
      expect(await record(actor, id)).to.deep.equal({
        seqs: [`E001:${seq}`, `S001:${seq}`, `S002:${seq}`],
        routes: ['E001:serverA', 'S001:serverB', 'S002:serverC'],
      });
    }
  });

  it('keeps a connect issued between two changes of a run between them', async () => {
    const [before, , after] = await settle<unknown>(
      store.batched(() => [
        change('m-1', 'E001'),
        connect('E001', 'serverC', 'c-E001-2'),
        change('m-2', 'E001'),
      ]),
    );
    expect(before).to.nested.include({ 'deliveries[0].servers[0]': 'serverA' });
    expect(before).to.have.nested.property('deliveries[0].servers').with.length(1);
    expect(after)
      .to.have.nested.property('deliveries[0].servers')
      .with.members(['serverA', 'serverC']);
  });
});
