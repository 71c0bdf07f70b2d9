// Needs RabbitMQ and Redis running (AMQP_URL, REDIS_URL; localhost defaults) and a built dist/
// (npm test builds first). Starts a state manager, serverA and serverB as real exam-relay
// processes in a random namespace; kills serverA with SIGKILL and starts it again on its port.
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import WebSocket from 'ws';
import {
  ExamRelayClient,
  type ExamineeStatus,
  type ExamRelayClientEvents,
} from '../../src/client/index.js';
import { Cluster } from '../helpers/cluster.js';
import { rawRedis, routed as routedIn } from '../helpers/env.js';
import { eventually, sleep } from '../helpers/eventually.js';

const STATUSES: ExamineeStatus[] = ['READY', 'STARTED', 'PAUSED', 'RESUMED', 'ENDED', 'TERMINATED'];

describe('ExamRelayClient (real cluster)', function () {
  this.timeout(40_000);
  let cluster: Cluster;
  let redis: Redis;
  let portA: number;
  const clients: ExamRelayClient[] = [];

  const url = (serverId: string) => `ws://127.0.0.1:${cluster.port(serverId)}/ws`;
  const client = (clientId: string, role: 'supervisor' | 'examinee', servers: string[]) => {
    const c = new ExamRelayClient({
      urls: servers.map(url),
      token: () => cluster.token(clientId, role),
      WebSocket,
      backoff: { baseMs: 50, capMs: 500 },
      requestTimeoutMs: 2000,
      requestDeadlineMs: 20_000,
    });
    clients.push(c);
    return c;
  };
  /** Every emission of an event, in order, with the event name. */
  const log: { client: ExamRelayClient; event: string; arg: unknown }[] = [];
  const record = <K extends keyof ExamRelayClientEvents>(c: ExamRelayClient, event: K) => {
    const seen: ExamRelayClientEvents[K][0][] = [];
    c.on(event, (...args: ExamRelayClientEvents[K]) => {
      seen.push(args[0]);
      log.push({ client: c, event, arg: args[0] });
    });
    return seen;
  };
  /** The state manager has registered the client on that server (and so in its exam). */
  const routed = (clientId: string, serverId: string) =>
    routedIn(redis, cluster.namespace, clientId, serverId, 15_000);
  const killServerA = () => cluster.servers.get('serverA')?.process.stop('SIGKILL');

  before(async () => {
    cluster = await Cluster.start({ servers: ['serverA', 'serverB'] });
    redis = rawRedis();
    portA = cluster.port('serverA');
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    log.length = 0;
    const a = cluster.servers.get('serverA')?.process.child;
    if (a && (a.exitCode !== null || a.signalCode !== null)) {
      await cluster.startServer('serverA', portA);
    }
  });
  after(async () => {
    redis?.disconnect();
    await cluster?.stop();
  });

  describe('#changeStatus', () => {
    it('resolves with the ack when the examinee is on another server, which emits the change', async () => {
      const examinee = client('E101', 'examinee', ['serverA']);
      const supervisor = client('S101', 'supervisor', ['serverB']);
      const changes = record(examinee, 'statusChange');
      expect((await examinee.connect()).serverId).to.equal('serverA');
      expect((await supervisor.connect()).serverId).to.equal('serverB');
      await routed('E101', 'serverA');

      const ack = await supervisor.changeStatus({ targetExamineeId: 'E101' }, 'STARTED', {
        id: 'one-1',
      });

      expect(ack).to.include({ status: 'STARTED' });
      expect(ack.examinees).to.deep.equal(['E101']);
      expect(ack.delivered).to.deep.equal(['E101']);
      await eventually(() => changes.length === 1, 'the examinee change', 15_000);
      expect(changes[0]).to.deep.include({ seq: 1, id: 'one-1' });
      expect(changes[0]?.data).to.include({
        supervisorId: 'S101',
        targetExamineeId: 'E101',
        status: 'STARTED',
      });
      expect(examinee.lastSeq).to.equal(1);
    });

    it('resolves a change in flight across a reconnect exactly once', async () => {
      const supervisor = client('S301', 'supervisor', ['serverA', 'serverB']);
      const examinee = client('E301', 'examinee', ['serverB']);
      const changes = record(examinee, 'statusChange');
      const acks = record(supervisor, 'ack');
      const connected = record(supervisor, 'connected');
      const disconnected = record(supervisor, 'disconnected');
      await Promise.all([supervisor.connect(), examinee.connect()]);
      await Promise.all([routed('E301', 'serverB'), routed('S301', 'serverA')]);
      const ids = ['r-0', 'r-1', 'r-2', 'r-3', 'r-4'];
      let settled = 0;

      // Written to serverA's socket, then serverA dies before it can answer.
      const results = ids.map((id, i) =>
        supervisor
          .changeStatus({ targetExamineeId: 'E301' }, STATUSES[i % 6]!, { id })
          .finally(() => settled++),
      );
      await killServerA();
      const acked = await Promise.all(results);

      expect(acked.every((a) => a.examinees[0] === 'E301')).to.equal(true);
      expect(connected.map((c) => c.serverId)).to.deep.equal(['serverA', 'serverB']);
      const firstAck = log.findIndex((e) => e.event === 'ack');
      const lost = log.findIndex((e) => e.event === 'disconnected');
      // 1006: the socket dropped without a close frame, as it does when a process is killed.
      expect(disconnected.map((d) => d.code)).to.deep.equal([1006]);
      expect(lost).to.be.at.least(0);
      expect(firstAck, 'no ack came before serverA went away').to.be.above(lost);
      await eventually(() => changes.length === ids.length, 'every change at the examinee', 15_000);
      await sleep(500); // a duplicate would arrive within this
      expect(settled).to.equal(ids.length);
      expect(acks.map((a) => a.id).sort()).to.deep.equal(ids);
      expect(changes.map((c) => c.id).sort()).to.deep.equal(ids);
      expect(changes.map((c) => c.seq)).to.deep.equal([1, 2, 3, 4, 5]);
    });
  });

  describe('failover', () => {
    it('resumes on the next server when its server is killed, getting every change once in seq order', async () => {
      const examinee = client('E201', 'examinee', ['serverA', 'serverB']);
      const supervisor = client('S201', 'supervisor', ['serverB']);
      const changes = record(examinee, 'statusChange');
      const connected = record(examinee, 'connected');
      const resyncs = record(examinee, 'resync');
      await Promise.all([examinee.connect(), supervisor.connect()]);
      await routed('E201', 'serverA');
      const ids = Array.from({ length: 50 }, (_, i) => `f-${i}`);

      const results: Promise<unknown>[] = [];
      for (const [i, id] of ids.entries()) {
        results.push(
          supervisor.changeStatus({ targetExamineeId: 'E201' }, STATUSES[i % 6]!, { id }),
        );
        if (i === 15) await killServerA();
        // Under the server's rate limit (20/s with a burst of 40), so no request is dropped.
        await sleep(40);
      }
      await Promise.all(results);
      await eventually(() => changes.length >= ids.length, `${ids.length} changes`, 20_000);
      await sleep(500); // a duplicate would arrive within this

      expect(connected.map((c) => c.serverId)).to.deep.equal(['serverA', 'serverB']);
      expect(resyncs).to.deep.equal([]);
      expect(changes.map((c) => c.id).sort()).to.deep.equal([...ids].sort());
      expect(changes.map((c) => c.seq)).to.deep.equal(ids.map((_, i) => i + 1));
      expect(examinee.lastSeq).to.equal(ids.length);
      expect(Number(await redis.get(`${cluster.namespace}:client:E201:seq`))).to.equal(ids.length);
    });
  });
});
