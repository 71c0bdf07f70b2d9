// Fault tests of the everyday situations (issue 8): a socket server's broker link stalled
// shorter and longer than BROKER_LOST_CLOSE_MS, the state manager's broker link stalled and
// RabbitMQ stopped, each longer than SERVER_DOWN_AFTER_MS, a server's queue deleted under it,
// and a state manager SIGKILLed during per-exam ordering. Needs RabbitMQ (its management API
// on 15672, and rabbitmqctl on PATH to delete one of the test's own queues and to stop and
// start the broker's app), Redis and a built dist/. Starts real exam-relay processes in a
// random namespace and cuts their links through the test TCP proxy; never reconfigures the
// services. Run by `npm run test:faults`.
import { execFile, execFileSync } from 'node:child_process';
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import WebSocket from 'ws';
import { ExamRelayClient } from '../../../src/client/index.js';
import type { Snapshot } from '../../../src/protocol/index.js';
import { Cluster } from '../../helpers/cluster.js';
import { AMQP_URL, dlqDepth, rawRedis } from '../../helpers/env.js';
import { waitForHttp, type RoleProcess } from '../../helpers/processes.js';
import { proxyOf, type TcpProxy } from '../../helpers/tcp-proxy.js';
import { TestClient, type Frame } from '../../helpers/ws-client.js';
import {
  classify,
  report,
  settledVerdict,
  streamChanges,
  type StreamResult,
} from '../../helpers/fault-stream.js';
import { eventually, sleep } from '../../helpers/eventually.js';

/** The supervisor streams far faster than a person; lift the per-connection rate limit. */
const ENV = {
  RATE_LIMIT_PER_SECOND: '100000',
  RATE_LIMIT_BURST: '100000',
  HEARTBEAT_INTERVAL_MS: '1000',
};
const MANAGEMENT = new URL(
  process.env.RABBITMQ_MANAGEMENT_URL ?? 'http://guest:guest@127.0.0.1:15672',
);

/** A proxy in front of the machine's RabbitMQ, and an AMQP URL through it with 1 s heartbeats. */
async function amqpProxy(): Promise<{ proxy: TcpProxy; url: string }> {
  const { proxy, url } = await proxyOf(AMQP_URL, 5672);
  // A stalled link is noticed by missed heartbeats, ~2 intervals, on both ends.
  url.searchParams.set('heartbeat', '1');
  return { proxy, url: url.toString() };
}

/** A call of the management API (credentials from its URL, since fetch refuses them inline). */
function management(path: string): Promise<Response> {
  const auth = Buffer.from(
    `${decodeURIComponent(MANAGEMENT.username)}:${decodeURIComponent(MANAGEMENT.password)}`,
  ).toString('base64');
  return fetch(new URL(path, MANAGEMENT.origin), {
    headers: { authorization: `Basic ${auth}` },
  });
}

/** The streams of several phases, as one stream in the order they were sent. */
function joined(parts: StreamResult[]): StreamResult {
  return {
    ids: parts.flatMap((p) => p.ids),
    acked: new Set(parts.flatMap((p) => [...p.acked])),
    statusOf: new Map(parts.flatMap((p) => [...p.statusOf])),
    retries: parts.reduce((n, p) => n + p.retries, 0),
    struck: parts.flatMap((p) => p.struck),
  };
}

const isPresence = (clientId: string, online: boolean) => (f: Frame) =>
  f.type === 'presence' &&
  (f.data as { clientId?: string }).clientId === clientId &&
  (f.data as { online?: boolean }).online === online;

describe('faults in everyday situations', function () {
  this.timeout(120_000);
  let cluster: Cluster | undefined;
  let redis: Redis;
  const clients: TestClient[] = [];
  const cleanups: (() => Promise<void> | void)[] = [];
  /** Proxies close after the cluster stops, so its servers drain over a live link. */
  const proxies: TcpProxy[] = [];
  const key = (k: string) => `${cluster?.namespace ?? ''}:${k}`;

  beforeEach(() => {
    redis = rawRedis();
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && cluster) {
      for (const [id, s] of cluster.servers) console.log(`--- ${id}\n${s.process.tail(30)}`);
      for (const sm of cluster.stateManagers) console.log(`--- ${sm.name}\n${sm.tail(30)}`);
    }
    for (const c of clients.splice(0)) c.close();
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    redis.disconnect();
    for (const proxy of proxies) proxy.restore(); // a test that failed mid-stall
    await cluster?.stop();
    cluster = undefined;
    for (const proxy of proxies.splice(0)) await proxy.close();
  });

  function started(): Cluster {
    if (!cluster) throw new Error('no cluster');
    return cluster;
  }
  function serverProcess(serverId: string): RoleProcess {
    const entry = started().servers.get(serverId);
    if (!entry) throw new Error(`no server ${serverId}`);
    return entry.process;
  }
  async function login(server: string, id: string, role: 'supervisor' | 'examinee') {
    const c = started();
    const client = await TestClient.login(c.port(server), await c.token(id, role));
    clients.push(client);
    return client;
  }
  /** serverId -> connId of every server Redis says the client holds sockets on. */
  const connectionsOf = (clientId: string) => redis.hgetall(key(`client:${clientId}:connections`));
  const serversOf = async (clientId: string) => Object.keys(await connectionsOf(clientId)).sort();
  /** Waits until Redis lists the client's sockets on `serverId` and no other server. */
  const onlyOn = (clientId: string, serverId: string, what = `${clientId} on ${serverId}`) =>
    eventually(async () => (await serversOf(clientId)).join() === serverId, what, 20_000);
  const serverStatus = (serverId: string) =>
    redis.hget(key(`server:${serverId}:connections`), 'status');
  /** The connId a server logged for the client's (newest) connection. */
  function loggedConnId(server: RoleProcess, clientId: string): string {
    const line = server.lines
      .filter((l) => l.msg === 'client connected' && l.clientId === clientId)
      .at(-1);
    expect(line?.connId, `${server.name} logged no connection of ${clientId}`).to.be.a('string');
    return String(line?.connId);
  }

  /** Each of `clients` (named for the report) got every acked change once, in order. */
  async function expectEachGetsEveryChangeOnce(
    what: string,
    clients: [string, { frames: Frame[] }][],
    stream: StreamResult,
  ) {
    for (const [who, client] of clients) {
      await expectEveryChangeOnce(`${what}: ${who}`, () => client.frames, stream);
    }
  }
  /**
   * Every acked id reached `name` exactly once, in seq order; prints the counts. `frames` is
   * read again while waiting, so late deliveries are counted.
   */
  async function expectEveryChangeOnce(name: string, frames: () => Frame[], stream: StreamResult) {
    const verdict = await settledVerdict(name, frames, stream);
    expect(stream.acked.size, `${name}: acked`).to.equal(stream.ids.length);
    expect(verdict.lost, `${name}: lost`).to.deep.equal([]);
    expect(verdict.duplicated, `${name}: duplicated`).to.deep.equal([]);
    expect(verdict.outOfOrder, `${name}: out of order`).to.equal(0);
    expect(verdict.deliveredOnce, `${name}: delivered once`).to.equal(stream.ids.length);
    // The last frame is the last change sent.
    expect(verdict.lastStatus, `${name}: last status`).to.equal(
      stream.statusOf.get(stream.ids.at(-1) ?? ''),
    );
    return verdict;
  }

  describe("a socket server's broker link stalls", () => {
    /** serverB, and serverA whose broker link runs through a proxy the test can stall. */
    async function withServerABehindProxy(brokerLostCloseMs: string) {
      const { proxy, url } = await amqpProxy();
      proxies.push(proxy);
      cluster = await Cluster.start({ servers: ['serverB'], env: ENV });
      const serverA = await cluster.startServer('serverA', undefined, {
        AMQP_URL: url,
        BROKER_LOST_CLOSE_MS: brokerLostCloseMs,
      });
      return { proxy, serverA, cluster };
    }

    it('longer than BROKER_LOST_CLOSE_MS: its clients get reconnect and 1012, move, lose nothing, and it serves again when the link is back', async () => {
      const { proxy, serverA, cluster: c } = await withServerABehindProxy('1500');
      const supervisor = await login('serverB', 'S001', 'supervisor');
      const raw = await login('serverA', 'E003', 'examinee');
      const examinee = new ExamRelayClient({
        urls: [`ws://127.0.0.1:${c.port('serverA')}/ws`, `ws://127.0.0.1:${c.port('serverB')}/ws`],
        token: () => c.token('E001', 'examinee'),
        WebSocket,
        backoff: { baseMs: 50, capMs: 500 },
      });
      cleanups.push(() => examinee.close());
      const received: Frame[] = [];
      examinee.on('statusChange', (change) => received.push({ type: 'status_change', ...change }));
      const welcomes: string[] = [];
      examinee.on('welcome', (w) => welcomes.push(w.serverId));
      const disconnects: string[] = [];
      examinee.on('disconnected', (d) => disconnects.push(d.reason));
      await examinee.connect();
      await onlyOn('E001', 'serverA');
      await onlyOn('E003', 'serverA');
      await supervisor.next(isPresence('E001', true));

      const stream = (prefix: string) =>
        streamChanges(supervisor, { count: 150, targetExamineeId: 'E001', prefix });
      const before = await stream('before');
      proxy.stall();
      // Made while serverA still looks connected, then while it is being given up.
      const during = await stream('during');
      await serverA.process.waitForLog((l) => l.msg === 'cut off from the broker; shedding');
      await raw.closed;
      expect(raw.closeCode, 'raw client close code').to.equal(1012);
      expect(raw.frames.filter((f) => f.type === 'reconnect')).to.have.length(1);
      await eventually(
        async () => welcomes.includes('serverB'),
        'E001 welcomed by serverB',
        20_000,
      );
      // Made after the move, with serverA still cut off.
      const moved = await stream('moved');
      expect(
        serverA.process.lines.filter((l) => l.msg === 'cut off from the broker; shedding'),
      ).to.have.length(1);
      proxy.restore();
      await waitForHttp(`http://127.0.0.1:${c.port('serverA')}/readyz`, 200, 30_000);
      const after = await stream('after');

      const all = joined([before, during, moved, after]);
      await expectEachGetsEveryChangeOnce(
        'link stalled > BROKER_LOST_CLOSE_MS',
        [
          ['examinee', { frames: received }],
          ['supervisor', supervisor],
        ],
        all,
      );
      expect(welcomes).to.deep.equal(['serverA', 'serverB']);
      expect(disconnects).to.deep.equal(['broker unavailable']);
      expect(supervisor.closeCode, 'supervisor on serverB stays connected').to.equal(undefined);

      // serverA takes clients again, and what is routed to them arrives live.
      const back = await login('serverA', 'E002', 'examinee');
      expect(
        (back.frames.find((f) => f.type === 'welcome')?.data as { serverId: string }).serverId,
      ).to.equal('serverA');
      // Its connect and the change come from two servers: the change waits until E002 is in.
      await eventually(
        async () => (await serversOf('E002')).join() === 'serverA',
        'E002 registered on serverA',
        20_000,
      );
      supervisor.change('back-1', { targetExamineeId: 'E002', status: 'STARTED' });
      const ack = await supervisor.next((f) => f.type === 'ack' && f.id === 'back-1');
      expect(ack.data).to.deep.include({ delivered: ['E002'], pending: [] });
      await back.next((f) => f.type === 'status_change' && f.id === 'back-1');

      // Redis: E001 only where it is; the shed raw client, which did not come back, is gone and
      // its supervisor told so; E001 never went offline.
      await onlyOn('E001', 'serverB', 'serverA reconciled');
      expect(await redis.hget(key('client:E001:route'), 'serverId')).to.equal('serverB');
      expect(await serverStatus('serverA')).to.equal('ACTIVE');
      await supervisor.next(isPresence('E003', false), 20_000);
      expect(await redis.exists(key('client:E003:route'))).to.equal(0);
      expect(supervisor.frames.filter(isPresence('E001', false)), 'E001 offline').to.have.length(0);
      expect(await redis.hget(key('examinee:E001:status'), 'requestId')).to.equal(all.ids.at(-1));
      expect(await dlqDepth(started().namespace), 'dead letters').to.equal(0);
    });

    it('shorter than BROKER_LOST_CLOSE_MS: nobody is closed and nothing is lost', async () => {
      const { proxy, serverA } = await withServerABehindProxy('8000');
      const supervisor = await login('serverB', 'S001', 'supervisor');
      const examinee = await login('serverA', 'E001', 'examinee');
      const watcher = await login('serverA', 'S002', 'supervisor');
      await onlyOn('E001', 'serverA');
      const stream = (prefix: string) =>
        streamChanges(supervisor, { count: 150, targetExamineeId: 'E001', prefix });

      const before = await stream('before');
      const stalledAt = Date.now();
      proxy.stall();
      const during = await stream('during');
      // Longer than the link's detection window: serverA really loses its connection ...
      await serverA.process.waitForLog((l) => l.msg === 'amqp connection lost');
      // ... for about 4 s in all, well short of 8 s after it noticed.
      await sleep(Math.max(0, 4000 - (Date.now() - stalledAt)));
      proxy.restore();
      const readyLines = () =>
        serverA.process.lines.filter((l) => l.msg === 'amqp connection status' && l.to === 'ready');
      await eventually(async () => readyLines().length >= 2, 'serverA reconnected', 20_000);
      await waitForHttp(`http://127.0.0.1:${started().port('serverA')}/readyz`, 200, 30_000);
      const after = await stream('after');

      const all = joined([before, during, after]);
      await expectEachGetsEveryChangeOnce(
        'link stalled < BROKER_LOST_CLOSE_MS',
        [
          ['examinee', examinee],
          ['supervisor on serverA', watcher],
          ['supervisor', supervisor],
        ],
        all,
      );
      for (const client of [examinee, watcher, supervisor]) {
        expect(client.closeCode, 'closed').to.equal(undefined);
        expect(
          client.frames.filter((f) => f.type === 'reconnect'),
          'reconnect frames',
        ).to.have.length(0);
      }
      expect(
        serverA.process.lines.filter((l) => l.msg === 'cut off from the broker; shedding'),
      ).to.have.length(0);
      expect(supervisor.frames.filter(isPresence('E001', false)), 'E001 offline').to.have.length(0);
      expect(await serversOf('E001')).to.deep.equal(['serverA']);
      expect(await redis.hget(key('examinee:E001:status'), 'requestId')).to.equal(all.ids.at(-1));
      expect(await dlqDepth(started().namespace), 'dead letters').to.equal(0);
    });
  });

  /**
   * An outage of the broker that the state manager cannot hear heartbeats through, longer
   * than SERVER_DOWN_AFTER_MS: its own link stalled (the servers' links stay up), or RabbitMQ
   * itself stopped (every link drops; the servers keep their clients, BROKER_LOST_CLOSE_MS
   * being longer than the outage).
   */
  interface BrokerOutage {
    name: string;
    /** Extra environment of every process, and of the state manager. */
    setup(): Promise<{ env: Record<string, string>; smEnv: Record<string, string> }>;
    begin(): void;
    end(): void;
    /** Whether the servers still take sockets meanwhile (they refuse them without a broker). */
    serversReady: boolean;
  }
  let outageProxy: TcpProxy | undefined;
  const outages: BrokerOutage[] = [
    {
      name: "the state manager's broker link stalls",
      async setup() {
        const { proxy, url } = await amqpProxy();
        proxies.push(proxy);
        outageProxy = proxy;
        return { env: {}, smEnv: { AMQP_URL: url } };
      },
      begin: () => outageProxy?.stall(),
      end: () => outageProxy?.restore(),
      serversReady: true,
    },
    {
      name: 'RabbitMQ stops',
      setup: () => Promise.resolve({ env: { BROKER_LOST_CLOSE_MS: '120000' }, smEnv: {} }),
      begin: () => execFileSync('rabbitmqctl', ['stop_app'], { stdio: 'ignore' }),
      end: () => execFileSync('rabbitmqctl', ['start_app'], { stdio: 'ignore' }),
      serversReady: false,
    },
  ];

  for (const outage of outages)
    describe(`${outage.name} longer than SERVER_DOWN_AFTER_MS`, () => {
      it('marks no live server DOWN, takes nobody offline, keeps real connection ids, and a later disconnect ends presence', async () => {
        const { env, smEnv } = await outage.setup();
        cluster = await Cluster.start({
          stateManagers: 0,
          env: { ...ENV, ...env, SERVER_DOWN_AFTER_MS: '3000' },
        });
        const sm = await cluster.startStateManager(smEnv);
        const serverA = serverProcess('serverA');
        const serverB = serverProcess('serverB');
        const examinee = await login('serverA', 'E001', 'examinee');
        const supervisor = await login('serverB', 'S001', 'supervisor');
        const e2 = await login('serverB', 'E002', 'examinee');
        await eventually(
          async () =>
            (await Promise.all(['E001', 'E002', 'S001'].map(serversOf))).every(
              (s) => s.length === 1,
            ),
          'E001, E002, S001 registered',
          20_000,
        );
        const before = await streamChanges(supervisor, {
          count: 100,
          targetExamineeId: 'E001',
          prefix: 'before',
        });

        // Watch the registry for the whole outage and after it.
        const statuses: string[] = [];
        let watching = true;
        const watch = (async () => {
          while (watching) {
            statuses.push(
              `A:${await serverStatus('serverA')}`,
              `B:${await serverStatus('serverB')}`,
            );
            await sleep(100);
          }
        })();
        const stalledAt = Date.now();
        outage.begin();
        // A change made during the outage: acked once the state manager is back.
        const during = streamChanges(supervisor, {
          count: 50,
          targetExamineeId: 'E001',
          prefix: 'during',
          deadlineMs: 60_000,
        });
        // Its own link really drops, and stays down well past SERVER_DOWN_AFTER_MS.
        await sm.waitForLog((l) => l.msg === 'amqp connection lost');
        const joinLate = () => login('serverA', 'E003', 'examinee');
        const lateDuring = outage.serversReady ? await joinLate() : undefined;
        await sleep(Math.max(0, 9000 - (Date.now() - stalledAt)));
        outage.end();
        if (!outage.serversReady) {
          // The late joiner comes once both servers consume again, so its presence is live (a
          // supervisor whose server's queue were not back yet would learn it from the snapshot
          // the server sends once it is).
          for (const id of ['serverA', 'serverB']) {
            await waitForHttp(`http://127.0.0.1:${cluster.port(id)}/readyz`, 200, 30_000);
          }
        }
        const late = lateDuring ?? (await joinLate());
        const duringStream = await during;
        const after = await streamChanges(supervisor, {
          count: 100,
          targetExamineeId: 'E001',
          prefix: 'after',
        });
        await onlyOn('E003', 'serverA', 'E003 registered');
        await supervisor.next(isPresence('E003', true));
        await sleep(3000); // a few heartbeats and sweeps after the outage
        watching = false;
        await watch;

        const all = joined([before, duringStream, after]);
        await expectEachGetsEveryChangeOnce(
          outage.name,
          [
            ['examinee', examinee],
            ['supervisor', supervisor],
          ],
          all,
        );
        const down = statuses.filter((s) => !s.endsWith(':ACTIVE'));
        console.log(
          `      [${outage.name} ${Date.now() - stalledAt} ms] registry samples ${statuses.length}, not ACTIVE ${down.length}`,
        );
        expect(down, 'servers not ACTIVE').to.deep.equal([]);
        expect(
          sm.lines.filter((l) => l.msg === 'server silent: marked DOWN, routes removed'),
        ).to.deep.equal([]);
        expect(
          supervisor.frames.filter(
            (f) => f.type === 'presence' && (f.data as { online: boolean }).online === false,
          ),
          'offline presence',
        ).to.deep.equal([]);
        for (const c of [examinee, supervisor, e2, late]) expect(c.closeCode).to.equal(undefined);

        // Every connection record carries the connection id its server gave it.
        const expected: [string, RoleProcess, string][] = [
          ['E001', serverA, 'serverA'],
          ['E003', serverA, 'serverA'],
          ['S001', serverB, 'serverB'],
          ['E002', serverB, 'serverB'],
        ];
        for (const [clientId, server, serverId] of expected) {
          const connId = loggedConnId(server, clientId);
          expect(await connectionsOf(clientId), clientId).to.deep.equal({ [serverId]: connId });
          const field = await redis.hget(
            key(`server:${serverId}:connections`),
            `client:${clientId}`,
          );
          expect(field?.split('|')[0], `${serverId} lists ${clientId}`).to.equal(connId);
        }

        // A disconnect after the outage removes the connection and ends presence.
        examinee.close();
        const offline = await supervisor.next(isPresence('E001', false));
        expect(offline.data).to.include({ serverId: 'serverA' });
        await eventually(
          async () => (await redis.exists(key('client:E001:route'))) === 0,
          'E001 route gone',
          20_000,
        );
        expect(await redis.exists(key('client:E001:connections'))).to.equal(0);
        expect(await redis.hexists(key('server:serverA:connections'), 'client:E001')).to.equal(0);
        expect(await redis.hget(key('examinee:E001:status'), 'requestId')).to.equal(all.ids.at(-1));
        expect(await dlqDepth(started().namespace), 'dead letters').to.equal(0);
      });
    });

  describe("a server's queue deleted under it", () => {
    it('is declared and consumed again; changes made meanwhile and afterwards arrive live', async () => {
      cluster = await Cluster.start({ env: ENV });
      const serverA = serverProcess('serverA');
      const examinee = await login('serverA', 'E001', 'examinee');
      const supervisor = await login('serverB', 'S001', 'supervisor');
      // A supervisor on the server whose queue goes: presence routed meanwhile would be lost.
      const local = await login('serverA', 'S002', 'supervisor');
      await onlyOn('E001', 'serverA');
      await onlyOn('S002', 'serverA');
      const queue = `${started().namespace}.serverA_queue`;
      const path = `/api/queues/%2F/${encodeURIComponent(queue)}`;
      // As `rabbitmqctl delete_queue` in the issue: the management API (3.10) refuses to delete
      // an exclusive queue of another connection with 400 "cannot obtain exclusive access".
      let deleted: Promise<string> | undefined;
      const deleteQueue = () =>
        new Promise<string>((resolve, reject) =>
          execFile('rabbitmqctl', ['delete_queue', '-p', '/', queue], (err, stdout) =>
            err ? reject(err) : resolve(stdout),
          ),
        );
      const stream = await streamChanges(supervisor, {
        count: 600,
        targetExamineeId: 'E001',
        prefix: 'deleted',
        strikes: [{ name: 'delete queue', atAcked: 200, run: () => (deleted = deleteQueue()) }],
      });
      expect(stream.struck).to.deep.equal(['delete queue']);
      expect(await deleted, 'rabbitmqctl delete_queue').to.match(/successfully deleted/);
      await serverA.waitForLog(
        (l) => l.msg === 'consumer cancelled by the broker; setting it up again',
      );
      await eventually(
        async () => {
          const res = await management(path);
          return (
            res.status === 200 && ((await res.json()) as { consumers?: number }).consumers === 1
          );
        },
        'queue consumed again',
        20_000,
      );
      // Presence has no history: once its queue is back, a supervisor there gets the exam
      // afresh (a second snapshot, after the one that followed its welcome).
      const snapshots = await local.count((f) => f.type === 'snapshot', 2, 20_000);
      const fresh = snapshots[1]?.data as Snapshot['data'];
      expect(fresh.examId).to.equal('EXAM1');
      expect(fresh.examinees.find((e) => e.clientId === 'E001')?.online, 'E001 online').to.equal(
        true,
      );
      await expectEachGetsEveryChangeOnce(
        'queue deleted',
        [
          ['examinee', examinee],
          ['supervisor', supervisor],
        ],
        stream,
      );

      supervisor.change('after-delete', { targetExamineeId: 'E001', status: 'ENDED' });
      const ack = await supervisor.next((f) => f.type === 'ack' && f.id === 'after-delete');
      expect(ack.data).to.deep.include({ delivered: ['E001'], pending: [] });
      const change = await examinee.next(
        (f) => f.type === 'status_change' && f.id === 'after-delete',
      );
      expect(change.data).to.include({ status: 'ENDED' });
      expect(examinee.closeCode).to.equal(undefined);
      expect(await redis.hget(key('examinee:E001:status'), 'status')).to.equal('ENDED');
      expect(await serversOf('E001')).to.deep.equal(['serverA']);
      expect(await dlqDepth(started().namespace), 'dead letters').to.equal(0);
    });
  });

  describe('a state manager SIGKILLed during per-exam ordering', () => {
    it('two state managers, 600 pipelined changes: each seen once in send order, stored status the last', async () => {
      const CHANGES = 600;
      const STATUSES = ['STARTED', 'PAUSED', 'RESUMED'] as const;
      cluster = await Cluster.start({ stateManagers: 2, env: ENV });
      const examinee = await login('serverA', 'E001', 'examinee');
      const supervisor = await login('serverB', 'S001', 'supervisor');
      await onlyOn('E001', 'serverA');
      await onlyOn('S001', 'serverB');
      const ids = Array.from({ length: CHANGES }, (_, i) => `order-${i}`);
      const send = (from: number, to: number) =>
        ids.slice(from, to).forEach((id, i) =>
          supervisor.send({
            type: 'status_change',
            id,
            data: { targetExamineeId: 'E001', status: STATUSES[(from + i) % STATUSES.length] },
          }),
        );
      // The first half is pipelined; once the active state manager is known, the second half
      // is, and the kill follows in the same turn, so it lands with changes on their way
      // however fast the first half went.
      send(0, CHANGES / 2);
      const acks = () => new Set(supervisor.of('ack').map((f) => String(f.id))).size;
      await eventually(async () => acks() >= 100, '100 acks', 60_000);
      // The one consuming (single active consumer): the one that has applied changes.
      const applied = (sm: RoleProcess) =>
        sm.lines.filter((l) => l.msg === 'status change applied and routed').length;
      const active = started().stateManagers.filter((sm) => applied(sm) > 0);
      expect(active, 'active state managers').to.have.length(1);
      const [victim] = active;
      if (!victim) throw new Error('no active state manager');
      send(CHANGES / 2, CHANGES);
      const killed = victim.stop('SIGKILL');
      // Read now: the standby takes over as soon as the broker sees the victim gone.
      const ackedAtKill = acks();
      await killed;
      started().stateManagers.splice(started().stateManagers.indexOf(victim), 1);
      await started().startStateManager();
      expect(ackedAtKill, 'killed mid-stream').to.be.below(CHANGES);

      const isOrder = (f: Frame) => f.type === 'status_change' && String(f.id).startsWith('order-');
      await eventually(async () => acks() === CHANGES, 'all acked', 90_000);
      await examinee.count(isOrder, CHANGES, 30_000);
      await supervisor.count(isOrder, CHANGES, 30_000);
      await sleep(300); // anything duplicated would arrive now
      const stream: StreamResult = {
        ids,
        acked: new Set(supervisor.of('ack').map((f) => String(f.id))),
        statusOf: new Map(ids.map((id, i) => [id, STATUSES[i % STATUSES.length] as string])),
        retries: 0,
        struck: ['SIGKILL'],
      };
      for (const [name, client] of [
        ['examinee', examinee],
        ['supervisor', supervisor],
      ] as const) {
        const frames = client.frames.filter(isOrder);
        const sent = frames.map((f) => Number(String(f.id).slice('order-'.length)));
        const inversions = sent.filter((v, i) => i > 0 && v < (sent[i - 1] ?? 0)).length;
        const verdict = classify(client.frames, stream);
        report(`SM SIGKILLed at ${ackedAtKill} acks: ${name}`, stream, verdict);
        console.log(`      [SM SIGKILLed: ${name}] inversions against send order ${inversions}`);
        expect(verdict.lost, 'lost').to.deep.equal([]);
        expect(verdict.duplicated, 'duplicated').to.deep.equal([]);
        expect(verdict.outOfOrder, 'seq gaps').to.equal(0);
        expect(inversions, 'inversions').to.equal(0);
        expect(frames.length).to.equal(CHANGES);
      }
      const last = STATUSES[(CHANGES - 1) % STATUSES.length];
      expect(await redis.hget(key('examinee:E001:status'), 'status')).to.equal(last);
      expect(await redis.hget(key('examinee:E001:status'), 'requestId')).to.equal(
        `order-${CHANGES - 1}`,
      );
      expect(await dlqDepth(started().namespace), 'dead letters').to.equal(0);
    });
  });
});
