// Fault test: Redis fails over through Sentinel while a supervisor streams changes. Brings up
// the local primary, replica and three Sentinels of scripts/redis-sentinel.sh (ports 6391-6392,
// 26391-26393; needs redis-server and redis-cli on PATH) unless they are up already, and takes
// them down again afterwards if it brought them up. Needs RabbitMQ running and a built dist/.
// Run by `npm run test:faults`.
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { Cluster } from '../../helpers/cluster.js';
import { roleEnv, startRole } from '../../helpers/processes.js';
import { dlqDepth, randomNamespace } from '../../helpers/env.js';
import type { TestClient } from '../../helpers/ws-client.js';
import {
  settledVerdict,
  streamChanges,
  streamParticipants,
  type Strike,
} from '../../helpers/fault-stream.js';
import {
  SENTINEL_ENV,
  cleanSentinelRedis,
  primaryPort,
  sentinelRedis,
  sentinelScript,
  sentinelsUp,
} from '../../helpers/sentinel.js';

const COUNT = 1000;
/** The supervisor streams far faster than a person; lift the per-connection rate limit. */
const ENV = { ...SENTINEL_ENV, RATE_LIMIT_PER_SECOND: '5000', RATE_LIMIT_BURST: '5000' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Redis failover through Sentinel', function () {
  this.timeout(300_000);
  let broughtUp = false;
  let cluster: Cluster | undefined;
  let redis: Redis;
  const clients: TestClient[] = [];

  before(async () => {
    broughtUp = !(await sentinelsUp());
    await sentinelScript('up');
  });
  after(async () => {
    if (broughtUp) await sentinelScript('down');
  });
  beforeEach(() => {
    redis = sentinelRedis();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    redis.disconnect();
    const namespace = cluster?.namespace;
    await cluster?.stop();
    if (namespace) await cleanSentinelRedis(namespace);
  });

  const started = () => {
    if (!cluster) throw new Error('no cluster');
    return cluster;
  };
  const key = (k: string) => `${started().namespace}:${k}`;

  const participants = () => streamParticipants(started(), redis, clients);

  /** Log lines of every process of the cluster saying it reconnected to Redis at `port`. */
  function reconnectedTo(port: number): string[] {
    const c = started();
    const processes = [...c.stateManagers, ...[...c.servers.values()].map((s) => s.process)];
    return processes
      .filter((p) =>
        p.lines.some(
          (l) =>
            l.module === 'redis' && l.msg === 'reconnected' && l.primary === `127.0.0.1:${port}`,
        ),
      )
      .map((p) => p.name);
  }

  it('loses nothing with REDIS_WAIT_REPLICAS=1 when Sentinel fails Redis over to the replica mid-stream', async () => {
    cluster = await Cluster.start({ env: { ...ENV, REDIS_WAIT_REPLICAS: '1' } });
    const { examinee, supervisor } = await participants();
    const welcome = examinee.frames.find((f) => f.type === 'welcome');
    const epochBefore = (welcome?.data as { epoch?: string } | undefined)?.epoch;
    const before = await primaryPort();
    let failover: Promise<string> | undefined;
    const strike: Strike = {
      name: 'failover',
      atAcked: 300,
      run: () => {
        failover = sentinelScript('failover');
        failover.catch(() => undefined);
      },
    };
    const stream = await streamChanges(supervisor, {
      count: COUNT,
      targetExamineeId: 'E001',
      prefix: 'sentinel',
      deadlineMs: 240_000,
      strikes: [strike],
    });
    expect(stream.struck).to.deep.equal(['failover']);
    await failover;
    const after = await primaryPort();
    expect(after, 'the primary moved').to.not.equal(before);

    const verdict = await settledVerdict(
      'sentinel failover, WAIT 1',
      () => examinee.frames,
      stream,
    );
    const waits = started().stateManagers.flatMap((p) =>
      p.lines.filter((l) => l.msg === 'batch not yet on enough Redis replicas; applying it again'),
    );
    console.log(`      [sentinel failover, WAIT 1] batches applied again: ${waits.length}`);
    expect(stream.acked.size).to.equal(COUNT);
    expect(verdict.lost, 'lost').to.deep.equal([]);
    expect(verdict.duplicated, 'duplicated').to.deep.equal([]);
    expect(verdict.outOfOrder, 'out of order').to.equal(0);
    expect(verdict.deliveredOnce).to.equal(COUNT);
    expect(await redis.hget(key('examinee:E001:status'), 'status')).to.equal(verdict.lastStatus);
    expect(await dlqDepth(started().namespace), 'dead letters').to.equal(0);
    // No acked seq was lost, so the numbering went on: same epoch, no resync.
    expect(await redis.hget(key('epoch'), 'id')).to.equal(epochBefore);
    expect(examinee.frames.filter((f) => f.type === 'resync')).to.deep.equal([]);
    expect(reconnectedTo(after), 'followed the failover').to.include('state-manager');
  });

  it('exits 1 naming REDIS_SENTINEL_NAME when no Sentinel monitors that name', async () => {
    const sm = startRole(
      'state-manager',
      ['state-manager'],
      roleEnv({
        namespace: randomNamespace(),
        extra: { ...SENTINEL_ENV, REDIS_SENTINEL_NAME: 'no-such-master' },
      }),
    );
    try {
      const code = await Promise.race([sm.wait(), sleep(30_000).then(() => 'still running')]);
      expect(code, sm.tail()).to.equal(1);
      expect(sm.stderr.join('')).to.match(
        /no Sentinel in REDIS_SENTINELS monitors .*REDIS_SENTINEL_NAME/,
      );
    } finally {
      await sm.stop('SIGKILL');
    }
  });

  it('moves to a new epoch with REDIS_WAIT_REPLICAS=0, and a connected examinee keeps receiving', async () => {
    cluster = await Cluster.start({ env: ENV });
    const { examinee, supervisor } = await participants();
    const welcome = examinee.frames.find((f) => f.type === 'welcome');
    const epochBefore = (welcome?.data as { epoch?: string } | undefined)?.epoch;
    const first = await streamChanges(supervisor, {
      count: 50,
      targetExamineeId: 'E001',
      prefix: 'before',
    });
    expect(first.acked.size).to.equal(50);
    await examinee.count((f) => f.type === 'status_change', 50);
    await sentinelScript('failover');

    // Without WAIT, the new primary may lack acked writes: nothing vouches for the counters.
    const later = await streamChanges(supervisor, {
      count: 20,
      targetExamineeId: 'E001',
      prefix: 'after',
      deadlineMs: 60_000,
    });
    expect(later.acked.size).to.equal(20);
    const epochAfter = await redis.hget(key('epoch'), 'id');
    expect(epochAfter, 'a new epoch').to.be.a('string').and.not.equal(epochBefore);
    const resync = await examinee.next(
      (f) => f.type === 'resync' && (f.data as { epoch?: string }).epoch === epochAfter,
    );
    expect(resync).to.not.equal(undefined);
    // The last change arrives as a frame of the new numbering, not dropped as a duplicate.
    const lastId = later.ids.at(-1);
    const last = await examinee.next((f) => f.type === 'status_change' && f.id === lastId);
    expect((last.data as { status?: string }).status).to.equal(later.statusOf.get(String(lastId)));
    expect(await redis.hget(key('examinee:E001:status'), 'status')).to.equal(
      later.statusOf.get(String(lastId)),
    );
    expect(await dlqDepth(started().namespace), 'dead letters').to.equal(0);
  });
});
