// Fault tests: needs RabbitMQ (with rabbitmqctl on PATH, since one test restarts the broker
// app) and Redis running, and a built dist/. Run by `npm run test:faults`, never in parallel
// with other suites: restarting RabbitMQ disturbs everything that uses it.
import { execFileSync } from 'node:child_process';
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { Cluster } from '../../helpers/cluster.js';
import { freePort } from '../../helpers/processes.js';
import { REDIS_URL, rawRedis, routed } from '../../helpers/env.js';
import { sleep } from '../../helpers/eventually.js';
import { proxyOf } from '../../helpers/tcp-proxy.js';
import WebSocket from 'ws';
import { ExamRelayClient } from '../../../src/client/index.js';
import { TestClient, type Frame } from '../../helpers/ws-client.js';
import {
  nothingLostCheck,
  streamParticipants,
  streamStrikes,
  type Strike,
} from '../../helpers/fault-stream.js';

const COUNT = 1000;
/** The supervisor streams far faster than a person; lift the per-connection rate limit. */
const ENV = { RATE_LIMIT_PER_SECOND: '5000', RATE_LIMIT_BURST: '5000' };

describe('faults during a stream of 1,000 status changes', function () {
  this.timeout(240_000);
  let cluster: Cluster;
  let redis: Redis;
  const clients: TestClient[] = [];

  beforeEach(() => {
    redis = rawRedis();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    redis.disconnect();
    await cluster.stop();
  });

  const participants = () => streamParticipants(cluster, redis, clients);

  /** Every acked id reached the examinee exactly once, in seq order, and Redis agrees. */
  const expectNothingLost = nothingLostCheck(() => ({ redis, namespace: cluster.namespace }));

  it('loses nothing when the state manager is SIGKILLed mid-stream and restarted', async () => {
    cluster = await Cluster.start({ env: ENV });
    const { examinee, supervisor } = await participants();
    const kill: Strike = {
      name: 'kill',
      atAcked: 300,
      run: () => {
        const [sm] = cluster.stateManagers.splice(0, 1);
        void sm
          ?.stop('SIGKILL')
          .then(() => sleep(500))
          .then(() => cluster.startStateManager());
      },
    };
    const stream = await streamStrikes(supervisor, [kill], { count: COUNT, prefix: 'kill-sm' });
    await expectNothingLost('SIGKILL state manager', () => examinee.frames, stream);
  });

  it('loses nothing with two state managers sharing the queue when one is SIGKILLed', async () => {
    // Two workers apply changes concurrently, so routed messages can reach a server out of
    // seq order; the server must still deliver them in order, once each.
    cluster = await Cluster.start({ env: ENV, stateManagers: 2 });
    const { examinee, supervisor } = await participants();
    const kill: Strike = {
      name: 'kill',
      atAcked: 400,
      run: () => void cluster.stateManagers[0]?.stop('SIGKILL'),
    };
    const stream = await streamStrikes(supervisor, [kill], {
      count: COUNT,
      prefix: 'two-sm',
      window: 32,
    });
    await expectNothingLost('2 state managers, one SIGKILLed', () => examinee.frames, stream);
  });

  it("loses nothing when the examinee's socket server is SIGKILLed (the client fails over and resumes)", async () => {
    cluster = await Cluster.start({ env: ENV });
    const supervisor = await TestClient.login(
      cluster.port('serverB'),
      await cluster.token('S001', 'supervisor'),
    );
    clients.push(supervisor);
    const examinee = new ExamRelayClient({
      urls: [
        `ws://127.0.0.1:${cluster.port('serverA')}/ws`,
        `ws://127.0.0.1:${cluster.port('serverB')}/ws`,
      ],
      token: () => cluster.token('E001', 'examinee'),
      WebSocket,
      backoff: { baseMs: 50, capMs: 500 },
    });
    const received: Frame[] = [];
    examinee.on('statusChange', (c) => received.push({ type: 'status_change', ...c }));
    const welcomes: string[] = [];
    examinee.on('welcome', (w) => welcomes.push(w.serverId));
    await examinee.connect();
    try {
      await routed(redis, cluster.namespace, 'E001', 'serverA');
      const kill: Strike = {
        name: 'kill',
        atAcked: 300,
        run: () => void cluster.servers.get('serverA')?.process.stop('SIGKILL'),
      };
      const stream = await streamStrikes(supervisor, [kill], {
        count: COUNT,
        prefix: 'kill-server',
      });
      await expectNothingLost('SIGKILL examinee server', () => received, stream);
      expect(welcomes).to.deep.equal(['serverA', 'serverB']);
    } finally {
      examinee.close();
    }
  });

  it('loses nothing when RabbitMQ stops and starts mid-stream', async () => {
    // The test's raw clients stay where they are: a restart shorter than the shedding window
    // must lose nothing on the same sockets (shedding is tested on its own).
    cluster = await Cluster.start({ env: { ...ENV, BROKER_LOST_CLOSE_MS: '120000' } });
    const { examinee, supervisor } = await participants();
    const restart: Strike = {
      name: 'restart',
      atAcked: 300,
      run: () => {
        execFileSync('rabbitmqctl', ['stop_app'], { stdio: 'ignore' });
        setTimeout(() => execFileSync('rabbitmqctl', ['start_app'], { stdio: 'ignore' }), 2000);
      },
    };
    const stream = await streamStrikes(supervisor, [restart], {
      count: COUNT,
      prefix: 'broker',
      deadlineMs: 180_000,
    });
    await expectNothingLost('rabbitmq stop_app/start_app', () => examinee.frames, stream);
  });

  it("loses nothing when the state manager's Redis connection is cut, then stalled", async () => {
    const { proxy } = await proxyOf(REDIS_URL, 6379);
    try {
      cluster = await Cluster.start({ stateManagers: 0, env: ENV });
      const metricsPort = await freePort();
      await cluster.startStateManager({
        REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
        METRICS_PORT: String(metricsPort),
      });
      const { examinee, supervisor } = await participants();
      const cut: Strike = {
        name: 'cut',
        atAcked: 300,
        run: () => {
          proxy.cut();
          setTimeout(() => proxy.restore(), 2000);
        },
      };
      const stall: Strike = {
        name: 'stall',
        atAcked: 600,
        run: () => {
          proxy.stall();
          setTimeout(() => proxy.restore(), 7000);
        },
      };
      const stream = await streamStrikes(supervisor, [cut, stall], {
        count: COUNT,
        prefix: 'redis',
        deadlineMs: 180_000,
      });
      await expectNothingLost('redis cut + stall', () => examinee.frames, stream);
      const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      const reconnects = /^exam_relay_reconnects_total\{service="redis"\} (\d+)/m.exec(metrics);
      expect(Number(reconnects?.[1] ?? 0), 'redis reconnects counted').to.be.at.least(1);
    } finally {
      await proxy.close();
    }
  });
});
